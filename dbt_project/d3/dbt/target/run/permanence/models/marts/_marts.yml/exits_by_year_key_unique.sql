
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
    select la_code, collection_year, exit_route, count(*) as n_records
    from "permanence"."marts"."exits_by_year"
    group by la_code, collection_year, exit_route
    having count(*) > 1

  
  
      
    ) dbt_internal_test