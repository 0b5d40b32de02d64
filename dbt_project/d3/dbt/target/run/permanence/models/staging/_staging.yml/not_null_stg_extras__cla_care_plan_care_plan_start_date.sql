
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
    
    



select care_plan_start_date
from "permanence"."staging"."stg_extras__cla_care_plan"
where care_plan_start_date is null



  
  
      
    ) dbt_internal_test