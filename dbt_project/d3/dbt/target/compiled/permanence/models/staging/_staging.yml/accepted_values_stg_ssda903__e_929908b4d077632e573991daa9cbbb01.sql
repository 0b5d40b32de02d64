
    
    

with all_values as (

    select
        placement_provider as value_field,
        count(*) as n_records

    from "permanence"."staging"."stg_ssda903__episodes"
    group by placement_provider

)

select *
from all_values
where value_field not in (
    'PR0','PR1','PR2','PR3','PR4','PR5'
)


