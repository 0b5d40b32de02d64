
    select 1 as failing_row
    from "permanence"."marts"."benchmark"
    where not coalesce((rank_in_group is null or (rank_in_group >= 1 and rank_in_group <= group_size)), false)
