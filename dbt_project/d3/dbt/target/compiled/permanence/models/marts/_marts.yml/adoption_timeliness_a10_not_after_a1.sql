
    select 1 as failing_row
    from "permanence"."marts"."adoption_timeliness"
    where not coalesce((a10_days is null or a1_days is null or a10_days <= a1_days), false)
