
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
    
    



select load_id
from "permanence"."staging"."stg_extras__no_parental_responsibility"
where load_id is null



  
  
      
    ) dbt_internal_test