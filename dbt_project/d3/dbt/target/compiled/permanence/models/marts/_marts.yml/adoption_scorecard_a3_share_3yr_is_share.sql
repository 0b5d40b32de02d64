
    select 1 as failing_row
    from "permanence"."marts"."adoption_scorecard"
    where not coalesce((a3_share_3yr is null or (a3_share_3yr >= 0 and a3_share_3yr <= 1)), false)
