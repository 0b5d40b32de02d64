
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
    select 1 as failing_row
    from "permanence"."marts"."care_proceedings_timeliness"
    where not coalesce((mean_weeks_to_final_order is null or mean_weeks_to_final_order >= 0), false)

  
  
      
    ) dbt_internal_test