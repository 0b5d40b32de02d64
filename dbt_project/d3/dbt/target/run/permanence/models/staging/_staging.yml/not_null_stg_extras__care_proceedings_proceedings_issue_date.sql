
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
    
    



select proceedings_issue_date
from "permanence"."staging"."stg_extras__care_proceedings"
where proceedings_issue_date is null



  
  
      
    ) dbt_internal_test