
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
    
    



select polarity
from "permanence"."marts"."benchmark"
where polarity is null



  
  
      
    ) dbt_internal_test