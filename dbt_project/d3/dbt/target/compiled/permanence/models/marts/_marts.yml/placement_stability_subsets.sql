
    select 1 as failing_row
    from "permanence"."marts"."placement_stability"
    where not coalesce((three_plus_placements <= cla_at_31_march and long_term_stable <= long_term_eligible and long_term_eligible <= cla_at_31_march), false)
