
    
    

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


