
    select 1 as failing_row
    from "permanence"."marts"."adoption_scorecard"
    where not coalesce((a1_mean is null or a1_mean >= 0), false)
