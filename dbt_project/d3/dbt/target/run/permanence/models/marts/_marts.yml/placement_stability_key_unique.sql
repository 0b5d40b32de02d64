
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
    select la_code, collection_year, count(*) as n_records
    from "permanence"."marts"."placement_stability"
    group by la_code, collection_year
    having count(*) > 1

  
  
      
    ) dbt_internal_test