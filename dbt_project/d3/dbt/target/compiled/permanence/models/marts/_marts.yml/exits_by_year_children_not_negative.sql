
    select 1 as failing_row
    from "permanence"."marts"."exits_by_year"
    where not coalesce((children is null or children >= 0), false)
