
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
    select 1 as failing_row
    from "permanence"."marts"."reentry_by_previous_exit"
    where not coalesce((reentered_within_12_months between 0 and children_exited), false)

  
  
      
    ) dbt_internal_test