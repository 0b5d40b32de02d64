
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
    select 1 as failing_row
    from "permanence"."marts"."placement_order_duration"
    where not coalesce((days_on_placement_order is null or days_on_placement_order >= 0), false)

  
  
      
    ) dbt_internal_test