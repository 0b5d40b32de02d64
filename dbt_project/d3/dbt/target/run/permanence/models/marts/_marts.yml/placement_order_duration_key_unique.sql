
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
    select la_code, as_at_date, child_id, count(*) as n_records
    from "permanence"."marts"."placement_order_duration"
    group by la_code, as_at_date, child_id
    having count(*) > 1

  
  
      
    ) dbt_internal_test