
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
    select 1 as failing_row
    from "permanence"."marts"."weekly_cost_by_cohort"
    where not coalesce((estimated_weekly_cost_gbp is null or estimated_weekly_cost_gbp >= 0), false)

  
  
      
    ) dbt_internal_test