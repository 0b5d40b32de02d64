
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
    select 1 as failing_row
    from "permanence"."marts"."periods_of_care"
    where not coalesce((days_in_care is null or days_in_care >= 0), false)

  
  
      
    ) dbt_internal_test