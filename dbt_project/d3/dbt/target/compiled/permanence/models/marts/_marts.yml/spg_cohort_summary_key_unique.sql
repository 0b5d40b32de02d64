
    select la_code, as_at_date, cohort_id, count(*) as n_records
    from "permanence"."marts"."spg_cohort_summary"
    group by la_code, as_at_date, cohort_id
    having count(*) > 1
