
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
    
    



select target_kind
from "permanence"."reference"."la_targets"
where target_kind is null



  
  
      
    ) dbt_internal_test