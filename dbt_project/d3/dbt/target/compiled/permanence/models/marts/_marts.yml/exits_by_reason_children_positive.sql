
    select 1 as failing_row
    from "permanence"."marts"."exits_by_reason"
    where not coalesce((children > 0), false)
