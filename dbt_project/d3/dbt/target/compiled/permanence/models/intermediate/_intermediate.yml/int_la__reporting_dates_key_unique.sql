
    select la_code, count(*) as n_records
    from "permanence"."intermediate"."int_la__reporting_dates"
    group by la_code
    having count(*) > 1
