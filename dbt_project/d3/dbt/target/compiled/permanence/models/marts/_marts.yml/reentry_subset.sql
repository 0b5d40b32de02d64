
    select 1 as failing_row
    from "permanence"."marts"."reentry"
    where not coalesce((reentries_within_12_months <= children_started), false)
