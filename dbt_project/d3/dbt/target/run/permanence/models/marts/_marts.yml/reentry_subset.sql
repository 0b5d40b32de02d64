
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
    select 1 as failing_row
    from "permanence"."marts"."reentry"
    where not coalesce((reentries_within_12_months <= children_started), false)

  
  
      
    ) dbt_internal_test