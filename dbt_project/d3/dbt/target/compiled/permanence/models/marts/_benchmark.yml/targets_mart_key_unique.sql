
    select la_code, measure, period, count(*) as n_records
    from "permanence"."marts"."targets"
    group by la_code, measure, period
    having count(*) > 1
