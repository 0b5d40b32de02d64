
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
    select la_code, count(*) as n_records
    from "permanence"."intermediate"."int_la__reporting_dates"
    group by la_code
    having count(*) > 1

  
  
      
    ) dbt_internal_test