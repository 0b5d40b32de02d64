
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
    select la_code, measure, period, source, count(*) as n_records
    from "permanence"."marts"."benchmark"
    group by la_code, measure, period, source
    having count(*) > 1

  
  
      
    ) dbt_internal_test