
    
    

with all_values as (

    select
        cohort_id as value_field,
        count(*) as n_records

    from "permanence"."marts"."spg_cohort_children"
    group by cohort_id

)

select *
from all_values
where value_field not in (
    1,2,3,4,5,6
)


