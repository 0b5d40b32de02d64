
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
    
    

with all_values as (

    select
        exit_route as value_field,
        count(*) as n_records

    from "permanence"."marts"."reentry_by_previous_exit"
    group by exit_route

)

select *
from all_values
where value_field not in (
    'Adopted','Special guardianship order','Child arrangements order','Returned home','Living with parents or relatives without PR','Independent living or stayed with carers at 18','Other','Not recorded'
)



  
  
      
    ) dbt_internal_test