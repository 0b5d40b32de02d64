
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
    select 1 as failing_row
    from "permanence"."marts"."duration_in_care"
    where not coalesce((mean_days_in_care is null or mean_days_in_care >= 0), false)

  
  
      
    ) dbt_internal_test