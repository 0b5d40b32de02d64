
    select 1 as failing_row
    from "permanence"."marts"."benchmark"
    where not coalesce((neighbours_with_data <= neighbours_listed), false)
