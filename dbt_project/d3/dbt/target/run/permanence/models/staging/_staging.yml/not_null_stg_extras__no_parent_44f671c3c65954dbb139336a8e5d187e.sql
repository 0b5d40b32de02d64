
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
    
    



select no_pr_start_date
from "permanence"."staging"."stg_extras__no_parental_responsibility"
where no_pr_start_date is null



  
  
      
    ) dbt_internal_test