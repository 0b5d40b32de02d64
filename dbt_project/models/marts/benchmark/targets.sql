-- Targets (seed `la_targets`) against actuals (docs/benchmarking.md#targets). The actual is our
-- computed figure when the warehouse has one, else DfE's published figure for the LA.
-- status: 'no data' without an actual or a target; 'green' when met (at_most: actual <= target,
-- at_least: actual >= target, equal: actual = target); 'amber' when missed by no more than
-- var targets_amber_tolerance (default 10%) of the target's size; 'red' otherwise;
-- 'incomplete' when the only actual is a computed figure that reaches back past the extract's
-- coverage start or sits in a partial year (actual_complete false, with its reason): never judged
-- met or missed. A complete computed figure is preferred, then the published one.
with targets as (

    select * from {{ ref('la_targets') }}

),

actuals as (

    select la_code, measure, period, value, 'computed' as actual_source,
           case when complete then 1 else 3 end as preference, complete, incomplete_reason
    from {{ ref('int_benchmark__computed') }} where value is not null
    union all
    select la_code, measure, period, value, 'published', 2, true, cast(null as varchar)
    from {{ ref('stg_reference__published_measures') }}
    where geographic_level = 'local_authority' and value is not null

),

best as (

    select la_code, measure, period, value, actual_source, complete, incomplete_reason
    from (
        select *, row_number() over (partition by la_code, measure, period order by preference) as rn
        from actuals
    ) as ranked
    where rn = 1

),

resolved as (

    select
        targets.*,
        actual.value as actual,
        actual.actual_source,
        coalesce(actual.complete, true) and coalesce(baseline.complete, true) as actual_complete,
        coalesce(actual.incomplete_reason, baseline.incomplete_reason) as actual_incomplete_reason,
        baseline.value as baseline_value,
        case when targets.target_kind = 'relative' then baseline.value + targets.target_value
             else targets.target_value end as target
    from targets
    left join best as actual
        on actual.la_code = targets.la_code and actual.measure = targets.measure and actual.period = targets.period
    left join best as baseline
        on targets.target_kind = 'relative'
       and baseline.la_code = targets.la_code and baseline.measure = targets.measure
       and baseline.period = targets.baseline_period

)

select
    cast(la_code as varchar) as la_code,
    cast(measure as varchar) as measure,
    cast(period as varchar) as period,
    cast(target_kind as varchar) as target_kind,
    cast(direction as varchar) as direction,
    cast(baseline_period as varchar) as baseline_period,
    cast(baseline_value as double precision) as baseline_value,
    cast(actual as double precision) as actual,
    cast(actual_source as varchar) as actual_source,
    cast(target as double precision) as target,
    cast(actual - target as double precision) as gap,
    cast(case
        when actual is null or target is null then 'no data'
        when not actual_complete then 'incomplete'
        when (direction = 'at_most' and actual <= target)
          or (direction = 'at_least' and actual >= target)
          or (direction = 'equal' and abs(actual - target) < 1e-9) then 'green'
        when abs(actual - target) <= {{ var('targets_amber_tolerance', 0.10) }} * abs(target) then 'amber'
        else 'red'
    end as varchar) as status,
    cast(actual_complete as boolean) as actual_complete,
    cast(actual_incomplete_reason as varchar) as actual_incomplete_reason,
    cast(note as varchar) as note
from resolved
