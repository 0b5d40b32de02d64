
    
    

with all_values as (

    select
        reason_adoption_decision_ceased as value_field,
        count(*) as n_records

    from "permanence"."staging"."stg_ssda903__placed_adoption"
    group by reason_adoption_decision_ceased

)

select *
from all_values
where value_field not in (
    'E11','E12','RD1','RD2','RD3','RD4'
)


