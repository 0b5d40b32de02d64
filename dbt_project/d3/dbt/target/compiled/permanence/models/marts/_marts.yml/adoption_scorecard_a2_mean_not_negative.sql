
    select 1 as failing_row
    from "permanence"."marts"."adoption_scorecard"
    where not coalesce((a2_mean is null or a2_mean >= 0), false)
