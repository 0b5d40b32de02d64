
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
    
    

with all_values as (

    select
        cohort_id as value_field,
        count(*) as n_records

    from "permanence"."marts"."weekly_cost_by_cohort"
    group by cohort_id

)

select *
from all_values
where value_field not in (
    1,2,3,4,5,6
)



  
  
      
    ) dbt_internal_test