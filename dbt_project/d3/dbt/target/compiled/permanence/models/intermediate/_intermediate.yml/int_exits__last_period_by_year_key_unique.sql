
    select la_code, child_id, end_year, count(*) as n_records
    from "permanence"."intermediate"."int_exits__last_period_by_year"
    group by la_code, child_id, end_year
    having count(*) > 1
