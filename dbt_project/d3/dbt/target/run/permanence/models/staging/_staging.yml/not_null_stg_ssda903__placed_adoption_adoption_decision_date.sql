
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
    
    



select adoption_decision_date
from "permanence"."staging"."stg_ssda903__placed_adoption"
where adoption_decision_date is null



  
  
      
    ) dbt_internal_test