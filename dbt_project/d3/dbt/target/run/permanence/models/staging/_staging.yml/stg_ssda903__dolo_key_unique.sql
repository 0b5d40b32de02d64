
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
    select la_code, child_id, dolo_start_date, extract_date, count(*) as n_records
    from "permanence"."staging"."stg_ssda903__dolo"
    group by la_code, child_id, dolo_start_date, extract_date
    having count(*) > 1

  
  
      
    ) dbt_internal_test