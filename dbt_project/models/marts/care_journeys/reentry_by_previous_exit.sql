-- Exits that did not last, per LA, collection year of the exit and exit route (docs/measures.md#exit-routes,
-- re-entry by the route of the previous exit; return home above all): children leaving care in
-- the year (each child once, by the last period ended in the year, as exits_by_year) and, of them,
-- those who started a new period (not on a short break) within 365 days of that exit.
-- complete: false for a year that begins before the coverage start C, or while the 365 days after
-- the year's last day have not passed on D (a later re-entry is not yet known).
with exits as (

    select * from {{ ref('int_exits__last_period_by_year') }}

),

next_starts as (

    select
        exits.la_code,
        exits.child_id,
        exits.end_year,
        min(periods.period_start) as next_period_start
    from exits
    inner join {{ ref('int_episodes__periods_of_care') }} as periods
        on periods.la_code = exits.la_code
       and periods.child_id = exits.child_id
       and periods.period_start >= exits.period_end
       and not periods.starts_on_short_break
    group by exits.la_code, exits.child_id, exits.end_year

),

counted as (

    select
        exits.la_code,
        exits.end_year,
        exits.exit_route,
        count(*) as children_exited,
        sum(case when {{ days_between('exits.period_end', 'next_starts.next_period_start') }} <= 365
                 then 1 else 0 end) as reentered_within_12_months,
        max(exits.coverage_start) as coverage_start,
        max(exits.as_at_date) as as_at_date
    from exits
    left join next_starts
        on next_starts.la_code = exits.la_code
       and next_starts.child_id = exits.child_id
       and next_starts.end_year = exits.end_year
    group by exits.la_code, exits.end_year, exits.exit_route

),

final as (

    select
        cast(la_code as varchar) as la_code,
        cast({{ collection_year_label('end_year') }} as varchar) as collection_year,
        cast(exit_route as varchar) as exit_route,
        cast(children_exited as bigint) as children_exited,
        cast(reentered_within_12_months as bigint) as reentered_within_12_months,
        cast(100.0 * reentered_within_12_months / children_exited as double precision) as share_reentered,
        cast(reason is null as boolean) as complete,
        cast(reason as varchar) as incomplete_reason,
        cast({{ is_partial_year('end_year', 'as_at_date') }} as boolean) as partial
    from (
        select
            counted.*,
            case
                when not {{ history_covered(collection_year_start_date('end_year'), 'coverage_start') }}
                    then 'year begins before the coverage start'
                when cast({{ dbt.dateadd('day', 365, collection_year_end_date('end_year')) }} as date) > as_at_date
                    then 'the 12 months after some exits run past the reporting date'
            end as reason
        from counted
    ) as counted

)

select * from final
