
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
    
    

with all_values as (

    select
        reason_new_episode as value_field,
        count(*) as n_records

    from "permanence"."staging"."stg_ssda903__episodes"
    group by reason_new_episode

)

select *
from all_values
where value_field not in (
    'B','L','P','S','T','U'
)



  
  
      
    ) dbt_internal_test