
    select 1 as failing_row
    from "permanence"."marts"."reentry_by_previous_exit"
    where not coalesce((reentered_within_12_months between 0 and children_exited), false)
