
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
    select la_code, measure, period, count(*) as n_records
    from "permanence"."marts"."targets"
    group by la_code, measure, period
    having count(*) > 1

  
  
      
    ) dbt_internal_test