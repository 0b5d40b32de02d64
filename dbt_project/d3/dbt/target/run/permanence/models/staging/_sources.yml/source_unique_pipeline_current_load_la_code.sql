
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
    
    

select
    la_code as unique_field,
    count(*) as n_records

from "permanence"."raw"."current_load"
where la_code is not null
group by la_code
having count(*) > 1



  
  
      
    ) dbt_internal_test