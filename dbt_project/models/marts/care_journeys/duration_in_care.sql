-- Days in care at exit per LA and collection year (docs/measures.md#timeliness): periods ending in the year
-- whose last episode is not a short break; mean and median (percentile_cont 0.5) of
-- period_end - period_start.
-- complete: false when the year begins before the coverage start C (exits missing) or a period
-- ending in the year has an unknown start (period_start_unknown: its days in care are too short).
-- partial: the year has not ended on D.
with periods as (

    select *
    from {{ ref('int_episodes__periods_of_care') }}
    where not ends_on_short_break
      and period_end is not null
      and end_year <= {{ collection_year_start('as_at_date') }}

),

yearly as (

    select
        la_code,
        end_year,
        count(*) as periods_ended,
        avg(days_in_care) as mean_days_in_care,
        percentile_cont(0.5) within group (order by days_in_care) as median_days_in_care,
        sum(case when period_start_unknown then 1 else 0 end) as periods_start_unknown,
        max(coverage_start) as coverage_start,
        max(as_at_date) as as_at_date
    from periods
    group by la_code, end_year

),

flagged as (

    select
        *,
        case
            when not {{ history_covered(collection_year_start_date('end_year'), 'coverage_start') }}
                then 'year begins before the coverage start'
            when periods_start_unknown > 0
                then 'period start unknown (before the coverage start or a broken chain)'
        end as incomplete_reason
    from yearly

)

select
    cast(la_code as varchar) as la_code,
    cast({{ collection_year_label('end_year') }} as varchar) as collection_year,
    cast(periods_ended as bigint) as periods_ended,
    cast(mean_days_in_care as double precision) as mean_days_in_care,
    cast(median_days_in_care as double precision) as median_days_in_care,
    cast(incomplete_reason is null as boolean) as complete,
    cast(incomplete_reason as varchar) as incomplete_reason,
    cast({{ is_partial_year('end_year', 'as_at_date') }} as boolean) as partial
from flagged
