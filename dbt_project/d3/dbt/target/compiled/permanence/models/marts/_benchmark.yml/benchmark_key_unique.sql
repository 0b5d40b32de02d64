
    select la_code, measure, period, source, count(*) as n_records
    from "permanence"."marts"."benchmark"
    group by la_code, measure, period, source
    having count(*) > 1
