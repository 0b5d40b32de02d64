
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
    select 1 as failing_row
    from "permanence"."marts"."spg_cohort_summary"
    where not coalesce((children is null or children >= 0), false)

  
  
      
    ) dbt_internal_test