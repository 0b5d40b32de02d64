
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
    select 1 as failing_row
    from "permanence"."marts"."benchmark"
    where not coalesce((neighbours_with_data <= neighbours_listed), false)

  
  
      
    ) dbt_internal_test