
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
    
    



select target_value
from "permanence"."reference"."la_targets"
where target_value is null



  
  
      
    ) dbt_internal_test