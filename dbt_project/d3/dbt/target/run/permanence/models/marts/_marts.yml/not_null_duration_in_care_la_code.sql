
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
    
    



select la_code
from "permanence"."marts"."duration_in_care"
where la_code is null



  
  
      
    ) dbt_internal_test