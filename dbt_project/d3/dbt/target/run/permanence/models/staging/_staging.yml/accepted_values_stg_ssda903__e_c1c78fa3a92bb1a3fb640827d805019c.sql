
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
    
    

with all_values as (

    select
        reason_episode_ceased as value_field,
        count(*) as n_records

    from "permanence"."staging"."stg_ssda903__episodes"
    group by reason_episode_ceased

)

select *
from all_values
where value_field not in (
    'E11','E12','E13','E14','E15','E16','E17','E2','E3','E41','E45','E46','E47','E48','E4A','E4B','E5','E6','E7','E8','E9','X1'
)



  
  
      
    ) dbt_internal_test