
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
    
    



select period
from "permanence"."marts"."benchmark"
where period is null



  
  
      
    ) dbt_internal_test