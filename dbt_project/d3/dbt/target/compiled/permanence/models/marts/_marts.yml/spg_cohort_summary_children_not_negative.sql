
    select 1 as failing_row
    from "permanence"."marts"."spg_cohort_summary"
    where not coalesce((children is null or children >= 0), false)
