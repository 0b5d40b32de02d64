
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
    select la_code, reporting_date, child_id, count(*) as n_records
    from "permanence"."intermediate"."int_children__on_date"
    group by la_code, reporting_date, child_id
    having count(*) > 1

  
  
      
    ) dbt_internal_test