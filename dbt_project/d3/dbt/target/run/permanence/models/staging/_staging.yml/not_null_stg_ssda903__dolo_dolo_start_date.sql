
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
    
    



select dolo_start_date
from "permanence"."staging"."stg_ssda903__dolo"
where dolo_start_date is null



  
  
      
    ) dbt_internal_test