
    select la_code, measure, period, count(*) as n_records
    from "permanence"."reference"."la_targets"
    group by la_code, measure, period
    having count(*) > 1
