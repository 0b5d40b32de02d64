
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
    select la_code, as_at_date, cohort_id, child_id, count(*) as n_records
    from "permanence"."marts"."spg_cohort_children"
    group by la_code, as_at_date, cohort_id, child_id
    having count(*) > 1

  
  
      
    ) dbt_internal_test