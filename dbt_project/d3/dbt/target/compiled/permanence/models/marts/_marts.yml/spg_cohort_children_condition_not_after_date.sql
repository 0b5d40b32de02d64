
    select 1 as failing_row
    from "permanence"."marts"."spg_cohort_children"
    where not coalesce((condition_start is null or condition_start <= as_at_date), false)
