
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
    select 1 as failing_row
    from "permanence"."marts"."spg_cohort_children"
    where not coalesce((condition_start is null or condition_start <= as_at_date), false)

  
  
      
    ) dbt_internal_test