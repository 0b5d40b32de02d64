
    select 1 as failing_row
    from "permanence"."marts"."periods_of_care"
    where not coalesce((period_end is null or period_end >= period_start), false)
