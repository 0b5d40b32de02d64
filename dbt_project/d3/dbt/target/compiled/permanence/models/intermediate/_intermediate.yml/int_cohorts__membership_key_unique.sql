
    select la_code, reporting_date, cohort_id, child_id, count(*) as n_records
    from "permanence"."intermediate"."int_cohorts__membership"
    group by la_code, reporting_date, cohort_id, child_id
    having count(*) > 1
