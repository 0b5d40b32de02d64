
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
    select la_code, child_id, no_pr_start_date, count(*) as n_records
    from "permanence"."staging"."stg_extras__no_parental_responsibility"
    group by la_code, child_id, no_pr_start_date
    having count(*) > 1

  
  
      
    ) dbt_internal_test