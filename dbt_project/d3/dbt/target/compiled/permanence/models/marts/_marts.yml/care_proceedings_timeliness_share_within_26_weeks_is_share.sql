
    select 1 as failing_row
    from "permanence"."marts"."care_proceedings_timeliness"
    where not coalesce((share_within_26_weeks is null or (share_within_26_weeks >= 0 and share_within_26_weeks <= 1)), false)
