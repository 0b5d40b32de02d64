
    select 1 as failing_row
    from "permanence"."marts"."care_proceedings_timeliness"
    where not coalesce((mean_weeks_to_final_order is null or mean_weeks_to_final_order >= 0), false)
