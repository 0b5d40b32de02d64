
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
    
    



select load_id
from "permanence"."staging"."stg_ssda903__uasc"
where load_id is null



  
  
      
    ) dbt_internal_test