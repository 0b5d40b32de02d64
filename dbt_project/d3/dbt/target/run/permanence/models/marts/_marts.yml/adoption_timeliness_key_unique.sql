
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
    select la_code, child_id, date_entered_care, count(*) as n_records
    from "permanence"."marts"."adoption_timeliness"
    group by la_code, child_id, date_entered_care
    having count(*) > 1

  
  
      
    ) dbt_internal_test