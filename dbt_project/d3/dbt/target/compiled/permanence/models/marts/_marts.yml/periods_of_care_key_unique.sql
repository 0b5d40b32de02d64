
    select la_code, child_id, period_start, count(*) as n_records
    from "permanence"."marts"."periods_of_care"
    group by la_code, child_id, period_start
    having count(*) > 1
