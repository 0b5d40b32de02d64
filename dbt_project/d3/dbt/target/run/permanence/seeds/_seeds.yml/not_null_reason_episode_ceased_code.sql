
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
    
    



select code
from "permanence"."reference"."reason_episode_ceased"
where code is null



  
  
      
    ) dbt_internal_test