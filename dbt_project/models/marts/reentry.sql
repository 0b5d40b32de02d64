-- Re-entry per LA and collection year (primer section 5): children starting a period (not a short
-- break) in the year, and of those, children whose period starting in the year began within 365
-- days (0 for a same-day re-entry) after the end of their previous period.
with periods as (

    select
        *,
        lag(period_end) over (partition by la_code, child_id order by period_start) as previous_period_end
    from {{ ref('int_periods_of_care') }}
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
        end) as is_reentry
    from periods
    where start_year <= {{ collection_year_start('as_at_date') }}
    group by la_code, start_year, child_id

)

select
    cast(la_code as varchar) as la_code,
    cast({{ collection_year_label('start_year') }} as varchar) as collection_year,
    cast(count(*) as bigint) as children_started,
    cast(sum(is_reentry) as bigint) as reentries_within_12_months
from starts
group by la_code, start_year
