-- The benchmark measures (docs/benchmarking.md): id, label, unit and polarity (which way is better).
-- Exit shares and the CLA rate describe a mix, not a performance (docs/measures.md#benchmarks-and-direction): 'no direction',
-- shown beside the neighbours but never ranked.
-- Ranks and quartiles put the best value first: highest for 'higher is better', lowest otherwise.
select cast(measure as varchar) as measure, cast(measure_label as varchar) as measure_label,
       cast(unit as varchar) as unit, cast(polarity as varchar) as polarity
from (
    select 'cla_rate_per_10k' as measure, 'Children looked after on 31 March per 10,000 children aged 0-17' as measure_label,
           'rate per 10,000' as unit, 'no direction' as polarity
    union all select 'exit_share_adopted', 'Children who ceased: adopted (% of all who ceased)', 'percent', 'no direction'
    union all select 'exit_share_sgo', 'Children who ceased: special guardianship order (% of all who ceased)', 'percent', 'no direction'
    union all select 'exit_share_cao', 'Children who ceased: child arrangements / residence order (% of all who ceased)', 'percent', 'no direction'
    union all select 'exit_share_returned_home', 'Children who ceased: returned home (% of all who ceased)', 'percent', 'no direction'
    union all select 'stability_three_plus', 'Children looked after on 31 March with 3+ placements in the year (%)', 'percent', 'lower is better'
    union all select 'stability_long_term', 'Long-term placement stability: same placement for 2+ years (% of eligible)', 'percent', 'higher is better'
    union all select 'a1_days', 'A1: mean days from entering care to moving in with the adoptive family', 'days', 'lower is better'
    union all select 'a2_days', 'A2: mean days from court authority to match', 'days', 'lower is better'
    union all select 'a10_days', 'A10: mean days from entering care to moving in (foster-carer adoptions from placement start)', 'days', 'lower is better'
) as catalogue
