
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
    select 1 as failing_row
    from "permanence"."marts"."exits_by_reason"
    where not coalesce((children > 0), false)

  
  
      
    ) dbt_internal_test