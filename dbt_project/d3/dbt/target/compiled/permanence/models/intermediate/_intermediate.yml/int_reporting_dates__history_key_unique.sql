
    select la_code, reporting_date, count(*) as n_records
    from "permanence"."intermediate"."int_reporting_dates__history"
    group by la_code, reporting_date
    having count(*) > 1
