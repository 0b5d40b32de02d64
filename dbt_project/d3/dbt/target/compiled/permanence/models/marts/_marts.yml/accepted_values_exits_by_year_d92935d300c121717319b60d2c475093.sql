
    
    

with all_values as (

    select
        exit_route as value_field,
        count(*) as n_records

    from "permanence"."marts"."exits_by_year"
    group by exit_route

)

select *
from all_values
where value_field not in (
    'Adopted','Special guardianship order','Child arrangements order','Returned home','Living with parents or relatives without PR','Independent living or stayed with carers at 18','Other','Not recorded'
)


