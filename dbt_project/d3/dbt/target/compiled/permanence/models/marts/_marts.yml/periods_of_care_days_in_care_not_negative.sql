
    select 1 as failing_row
    from "permanence"."marts"."periods_of_care"
    where not coalesce((days_in_care is null or days_in_care >= 0), false)
