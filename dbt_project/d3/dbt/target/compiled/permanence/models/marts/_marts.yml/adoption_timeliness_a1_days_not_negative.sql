
    select 1 as failing_row
    from "permanence"."marts"."adoption_timeliness"
    where not coalesce((a1_days is null or a1_days >= 0), false)
