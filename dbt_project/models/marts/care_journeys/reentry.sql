-- Re-entry per LA and collection year (docs/measures.md#re-entry): children starting a period in the year
-- whose first episode is not a short break (LS V3/V4), and of those, children whose period starting
-- in the year began within 365 days (0 for a same-day re-entry) after the end of their previous
-- period.
-- complete: false when the history does not reach 365 days before the year's 1 April (coverage
-- start C later: an earlier period ending then is missing, so re-entries read as 0), or when a
-- start in the year is not a known period start (period_start_unknown).
-- partial: the year has not ended on D.
with periods as (

    select
        *,
        lag(period_end) over (partition by la_code, child_id order by period_start) as previous_period_end
    from {{ ref('int_episodes__periods_of_care') }}
    where not is_short_break

),

starts as (

    select
        la_code,
        start_year,
        child_id,
        max(case
            when previous_period_end is not null
             and {{ days_between('previous_period_end', 'period_start') }} between 0 and 365 then 1
            else 0
        end) as is_reentry,
        max(case when period_start_unknown then 1 else 0 end) as start_unknown,
        max(coverage_start) as coverage_start,
        max(as_at_date) as as_at_date
    from periods
    where start_year <= {{ collection_year_start('as_at_date') }}
      and not starts_on_short_break
    group by la_code, start_year, child_id

),

yearly as (

    select
        la_code,
        start_year,
        count(*) as children_started,
        sum(is_reentry) as reentries,
        sum(start_unknown) as starts_unknown,
        max(coverage_start) as coverage_start,
        max(as_at_date) as as_at_date
    from starts
    group by la_code, start_year

),

flagged as (

    select
        *,
        case
            when not {{ history_covered(
                    'cast(' ~ dbt.dateadd('day', -365, collection_year_start_date('start_year')) ~ ' as date)',
                    'coverage_start') }}
                then 'needs 365 days of history before the year; coverage starts later'
            when starts_unknown > 0
                then 'period start unknown (before the coverage start or a broken chain)'
        end as incomplete_reason
    from yearly

)

select
    cast(la_code as varchar) as la_code,
    cast({{ collection_year_label('start_year') }} as varchar) as collection_year,
    cast(children_started as bigint) as children_started,
    cast(reentries as bigint) as reentries_within_12_months,
    cast(incomplete_reason is null as boolean) as complete,
    cast(incomplete_reason as varchar) as incomplete_reason,
    cast({{ is_partial_year('start_year', 'as_at_date') }} as boolean) as partial
from flagged
