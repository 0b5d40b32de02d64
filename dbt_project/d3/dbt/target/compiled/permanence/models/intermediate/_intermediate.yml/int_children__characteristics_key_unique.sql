
    select la_code, child_id, count(*) as n_records
    from "permanence"."intermediate"."int_children__characteristics"
    group by la_code, child_id
    having count(*) > 1
