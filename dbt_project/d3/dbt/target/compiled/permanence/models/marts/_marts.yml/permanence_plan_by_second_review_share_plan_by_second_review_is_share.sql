
    select 1 as failing_row
    from "permanence"."marts"."permanence_plan_by_second_review"
    where not coalesce((share_plan_by_second_review is null or (share_plan_by_second_review >= 0 and share_plan_by_second_review <= 1)), false)
