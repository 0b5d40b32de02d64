
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
    
    



select measure
from "permanence"."marts"."benchmark"
where measure is null



  
  
      
    ) dbt_internal_test