
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
    
    



select collection_year
from "permanence"."marts"."reentry_by_previous_exit"
where collection_year is null



  
  
      
    ) dbt_internal_test