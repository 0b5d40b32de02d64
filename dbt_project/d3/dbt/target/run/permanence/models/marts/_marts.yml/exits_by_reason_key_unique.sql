
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
    select la_code, collection_year, reason_ceased, count(*) as n_records
    from "permanence"."marts"."exits_by_reason"
    group by la_code, collection_year, reason_ceased
    having count(*) > 1

  
  
      
    ) dbt_internal_test