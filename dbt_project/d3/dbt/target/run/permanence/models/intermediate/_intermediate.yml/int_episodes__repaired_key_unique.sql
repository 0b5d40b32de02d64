
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
    select la_code, child_id, episode_start_date, count(*) as n_records
    from "permanence"."intermediate"."int_episodes__repaired"
    group by la_code, child_id, episode_start_date
    having count(*) > 1

  
  
      
    ) dbt_internal_test