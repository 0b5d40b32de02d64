
    select 1 as failing_row
    from "permanence"."marts"."adoption_timeliness"
    where not coalesce((a2_days is null or a2_days >= 0), false)
