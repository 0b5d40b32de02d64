
    
    

with all_values as (

    select
        target_kind as value_field,
        count(*) as n_records

    from "permanence"."reference"."la_targets"
    group by target_kind

)

select *
from all_values
where value_field not in (
    'absolute','relative'
)


