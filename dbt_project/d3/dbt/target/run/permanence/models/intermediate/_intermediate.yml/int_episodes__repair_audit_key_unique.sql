
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
    select la_code, repair_type, count(*) as n_records
    from "permanence"."intermediate"."int_episodes__repair_audit"
    group by la_code, repair_type
    having count(*) > 1

  
  
      
    ) dbt_internal_test