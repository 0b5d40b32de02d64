
    select 1 as failing_row
    from "permanence"."marts"."adoption_scorecard"
    where not coalesce((a3_share is null or (a3_share >= 0 and a3_share <= 1)), false)
