
    select 1 as failing_row
    from "permanence"."marts"."benchmark"
    where not coalesce((quartile_all_las is null or quartile_all_las between 1 and 4), false)
