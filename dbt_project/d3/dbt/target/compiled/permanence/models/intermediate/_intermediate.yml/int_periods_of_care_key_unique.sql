
    select la_code, child_id, period_number, count(*) as n_records
    from "permanence"."intermediate"."int_periods_of_care"
    group by la_code, child_id, period_number
    having count(*) > 1
