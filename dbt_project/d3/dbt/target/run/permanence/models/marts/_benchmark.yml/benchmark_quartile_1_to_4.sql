
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
    select 1 as failing_row
    from "permanence"."marts"."benchmark"
    where not coalesce((quartile_all_las is null or quartile_all_las between 1 and 4), false)

  
  
      
    ) dbt_internal_test