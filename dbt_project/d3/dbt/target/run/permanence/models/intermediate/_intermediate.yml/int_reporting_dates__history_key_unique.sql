
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
    select la_code, reporting_date, count(*) as n_records
    from "permanence"."intermediate"."int_reporting_dates__history"
    group by la_code, reporting_date
    having count(*) > 1

  
  
      
    ) dbt_internal_test