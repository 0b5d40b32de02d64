
    
    

with all_values as (

    select
        status as value_field,
        count(*) as n_records

    from "permanence"."marts"."permanence_plan_by_second_review"
    group by status

)

select *
from all_values
where value_field not in (
    'available','not available'
)


