
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
    
    



select missing_start_date
from "permanence"."staging"."stg_ssda903__missing"
where missing_start_date is null



  
  
      
    ) dbt_internal_test