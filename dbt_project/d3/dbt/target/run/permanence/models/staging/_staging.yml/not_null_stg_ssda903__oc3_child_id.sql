
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
    
    



select child_id
from "permanence"."staging"."stg_ssda903__oc3"
where child_id is null



  
  
      
    ) dbt_internal_test