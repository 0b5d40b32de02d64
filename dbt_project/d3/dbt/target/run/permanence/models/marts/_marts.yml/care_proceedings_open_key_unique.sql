
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
    select la_code, proceedings_issue_date, count(*) as n_records
    from "permanence"."marts"."care_proceedings_open"
    group by la_code, proceedings_issue_date
    having count(*) > 1

  
  
      
    ) dbt_internal_test