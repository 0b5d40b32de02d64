
    select 1 as failing_row
    from "permanence"."marts"."spg_cohort_children"
    where not coalesce((months_in_condition is null or months_in_condition >= 0), false)
