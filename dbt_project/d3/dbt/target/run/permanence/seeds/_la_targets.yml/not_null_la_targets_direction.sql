
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
    
    



select direction
from "permanence"."reference"."la_targets"
where direction is null



  
  
      
    ) dbt_internal_test