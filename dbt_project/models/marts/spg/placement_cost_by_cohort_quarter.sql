-- Placement cost per SPG cohort by financial quarter, and year to date, for budget scrutiny (issue 17
-- point 4). Estimated from the month ends: each month end's cohort children (int_cohorts__membership,
-- as at that date) priced at the weekly unit cost of their placement in force on that date (seed
-- unit_costs, versioned), for the days of that month (to D in D's own month). A quarter is its
-- months' sum, the year to date the sum of the financial year's months so far (from 1 April).
-- Never a 0 for an unknown: a month with a child whose placement has no unit cost, a cohort the
-- extracts cannot count, or a quarter or year whose first months are before the history window
-- (var history_months) has a null cost, and cost_note says why. Children in several cohorts are
-- priced in each: cohort costs are not to be added into a total.
with dates as (

    select la_code, as_at_date, reporting_date, coverage_start from {{ ref('int_reporting_dates__history') }}

),

members as (

    select distinct la_code, reporting_date, cohort_id, child_id, placement_type, placement_provider
    from {{ ref('int_cohorts__membership') }}

),

costs as (

    {{ cost_versions('unit_costs', ['placement_type', 'placement_provider']) }}

),

priced as (

    select
        members.*,
        {{ unit_cost_columns() }}
    from members
    {{ unit_cost_joins('costs', 'members.placement_type', 'members.placement_provider', 'members.reporting_date') }}

),

monthly_priced as (

    select
        la_code, reporting_date, cohort_id,
        count(distinct child_id) as children,
        count(distinct case when weekly_cost_gbp is not null then child_id end) as children_costed,
        sum(weekly_cost_gbp) as weekly_cost_gbp,
        min(cost_effective_from) as first_effective_from,
        max(cost_effective_from) as last_effective_from,
        bool_or(cost_illustrative) as illustrative
    from priced
    group by la_code, reporting_date, cohort_id

),

summary as (

    select la_code, as_at_date as reporting_date, cohort_id, children, complete, incomplete_reason
    from {{ ref('spg_cohort_summary') }}

),

months as (

    select
        dates.la_code,
        dates.as_at_date,
        dates.reporting_date,
        {{ collection_year_start('dates.reporting_date') }} as year_start,
        {{ financial_quarter('dates.reporting_date') }} as financial_quarter,
        cohorts.cohort_id,
        cohorts.cohort_name,
        summary.children is null as not_countable,
        summary.incomplete_reason,
        coalesce(summary.complete, false) as counts_complete,
        coalesce(monthly_priced.children, 0) as children,
        coalesce(monthly_priced.children_costed, 0) as children_costed,
        case when summary.children is not null
              and coalesce(monthly_priced.children_costed, 0) = coalesce(monthly_priced.children, 0)
             then coalesce(monthly_priced.weekly_cost_gbp, 0) end as weekly_cost_gbp,
        -- the month's days the month end stands for: its whole month, or to D in D's month
        cast(extract(day from dates.reporting_date) as integer) as days_in_month,
        monthly_priced.first_effective_from,
        monthly_priced.last_effective_from,
        monthly_priced.illustrative
    from dates
    cross join ({{ spg_cohorts_relation() }}) as cohorts
    left join summary
        on summary.la_code = dates.la_code
       and summary.reporting_date = dates.reporting_date
       and summary.cohort_id = cohorts.cohort_id
    left join monthly_priced
        on monthly_priced.la_code = dates.la_code
       and monthly_priced.reporting_date = dates.reporting_date
       and monthly_priced.cohort_id = cohorts.cohort_id

),

window_start as (

    select la_code, min(reporting_date) as first_month_end from dates group by la_code

),

quarters as (

    select
        months.la_code,
        max(months.as_at_date) as as_at_date,
        months.year_start,
        months.financial_quarter,
        months.cohort_id,
        max(months.cohort_name) as cohort_name,
        max(months.reporting_date) as last_date,
        min(months.reporting_date) as first_date,
        count(*) as months_seen,
        sum(case when months.weekly_cost_gbp is null then 1 else 0 end) as months_unpriced,
        max(case when months.not_countable then months.incomplete_reason end) as not_countable_reason,
        bool_and(months.counts_complete) as counts_complete,
        max(case when not months.counts_complete then months.incomplete_reason end) as counts_incomplete_reason,
        -- pound-days, exact (numeric): divided by 7 only once summed, so the figure cannot depend on the
        -- order a parallel engine adds the months (floating sums differ in the last digit)
        sum(months.weekly_cost_gbp * months.days_in_month) as quarter_cost_pound_days,
        min(months.first_effective_from) as first_effective_from,
        max(months.last_effective_from) as last_effective_from,
        bool_or(months.illustrative) as illustrative
    from months
    group by months.la_code, months.year_start, months.financial_quarter, months.cohort_id

),

quarter_children as (

    select
        dates.la_code,
        {{ collection_year_start('dates.reporting_date') }} as year_start,
        {{ financial_quarter('dates.reporting_date') }} as financial_quarter,
        members.cohort_id,
        count(distinct members.child_id) as children_in_quarter
    from dates
    inner join members
        on members.la_code = dates.la_code
       and members.reporting_date = dates.reporting_date
    group by dates.la_code, {{ collection_year_start('dates.reporting_date') }}, {{ financial_quarter('dates.reporting_date') }},
             members.cohort_id

),

year_children as (

    -- distinct children from 1 April to each quarter's end (the year to date's base)
    select
        quarter_children.la_code, quarter_children.year_start, quarter_children.financial_quarter, quarter_children.cohort_id,
        count(distinct members.child_id) as children_in_year_to_date
    from quarter_children
    inner join dates
        on dates.la_code = quarter_children.la_code
       and {{ collection_year_start('dates.reporting_date') }} = quarter_children.year_start
       and {{ financial_quarter('dates.reporting_date') }} <= quarter_children.financial_quarter
    inner join members
        on members.la_code = dates.la_code
       and members.reporting_date = dates.reporting_date
       and members.cohort_id = quarter_children.cohort_id
    group by quarter_children.la_code, quarter_children.year_start, quarter_children.financial_quarter, quarter_children.cohort_id

),

bounded as (

    select
        quarters.*,
        {{ collection_year_start_date('quarters.year_start') }} as year_start_date,
        cast({{ dbt.dateadd('month', '3 * (quarters.financial_quarter - 1)', collection_year_start_date('quarters.year_start')) }} as date) as quarter_start,
        -- the quarter's first month end is in the window: else its first months were never priced
        window_start.first_month_end
            <= cast({{ dbt.dateadd('day', -1, dbt.dateadd('month', '3 * (quarters.financial_quarter - 1) + 1', collection_year_start_date('quarters.year_start'))) }} as date)
            as quarter_in_window,
        window_start.first_month_end
            <= cast({{ dbt.dateadd('day', -1, dbt.dateadd('month', 1, collection_year_start_date('quarters.year_start'))) }} as date)
            as year_in_window
    from quarters
    inner join window_start on window_start.la_code = quarters.la_code

),

noted as (

    select
        bounded.*,
        case
            when not_countable_reason is not null then not_countable_reason
            when not quarter_in_window then 'not available: the quarter begins before the history window'
            when months_unpriced > 0 then 'not available: children in placements without a unit cost (seed unit_costs) in '
                 || cast(months_unpriced as varchar) || ' of the quarter''s months'
        end as quarter_note
    from bounded

),

year_to_date as (

    select
        noted.*,
        sum(case when quarter_note is null then 0 else 1 end) over (
            partition by la_code, year_start, cohort_id order by financial_quarter
            rows between unbounded preceding and current row) as quarters_unknown,
        sum(quarter_cost_pound_days) over (
            partition by la_code, year_start, cohort_id order by financial_quarter
            rows between unbounded preceding and current row) as year_cost_so_far,
        min(first_effective_from) over (
            partition by la_code, year_start, cohort_id order by financial_quarter
            rows between unbounded preceding and current row) as year_first_effective_from
    from noted

),

quarter_sources as (

    select
        la_code,
        {{ collection_year_start('reporting_date') }} as year_start,
        {{ financial_quarter('reporting_date') }} as financial_quarter,
        cohort_id,
        string_agg(distinct cost_source, '; ' order by cost_source) as unit_cost_sources
    from priced
    group by la_code, {{ collection_year_start('reporting_date') }}, {{ financial_quarter('reporting_date') }}, cohort_id

),

quarter_end_stock as (

    select months.la_code, months.reporting_date, months.cohort_id, months.children, months.children_costed,
           months.weekly_cost_gbp
    from months

)

select
    cast(year_to_date.la_code as varchar) as la_code,
    cast(year_to_date.as_at_date as date) as as_at_date,
    {{ collection_year_label('year_to_date.year_start') }} as financial_year,
    cast(year_to_date.financial_quarter as integer) as financial_quarter,
    cast({{ collection_year_label('year_to_date.year_start') }} || '-Q' || cast(year_to_date.financial_quarter as varchar) as varchar) as quarter_label,
    cast(year_to_date.quarter_start as date) as quarter_start,
    cast({{ dbt.dateadd('day', -1, dbt.dateadd('month', 3, 'year_to_date.quarter_start')) }} as date) as quarter_end,
    cast(cast({{ dbt.dateadd('day', -1, dbt.dateadd('month', 3, 'year_to_date.quarter_start')) }} as date) > year_to_date.as_at_date as boolean) as partial,
    cast(year_to_date.cohort_id as integer) as cohort_id,
    cast(year_to_date.cohort_name as varchar) as cohort_name,
    cast(case when year_to_date.not_countable_reason is null then stock.children end as bigint) as children_at_quarter_end,
    cast(case when year_to_date.not_countable_reason is null then stock.children_costed end as bigint) as children_costed_at_quarter_end,
    cast(coalesce(quarter_children.children_in_quarter, 0) as bigint) as children_in_quarter,
    cast(coalesce(year_children.children_in_year_to_date, 0) as bigint) as children_in_year_to_date,
    cast(stock.weekly_cost_gbp as double precision) as weekly_cost_at_quarter_end_gbp,
    cast(case when year_to_date.quarter_note is null
              then round(coalesce(year_to_date.quarter_cost_pound_days, 0) / 7.0, 2) end as double precision) as quarter_cost_gbp,
    cast(case when year_to_date.quarters_unknown = 0 and year_to_date.year_in_window
              then round(coalesce(year_to_date.year_cost_so_far, 0) / 7.0, 2) end as double precision) as year_to_date_cost_gbp,
    cast(quarter_sources.unit_cost_sources as varchar) as unit_cost_sources,
    cast(year_to_date.year_first_effective_from as date) as unit_costs_effective_from,
    cast(year_to_date.last_effective_from as date) as unit_costs_latest_effective_from,
    cast(coalesce(year_to_date.illustrative, false) as boolean) as illustrative,
    cast(case when year_to_date.illustrative then {{ illustrative_label() }} end as varchar) as cost_label,
    cast(coalesce(year_to_date.quarter_note,
                  case when not year_to_date.year_in_window
                       then 'year to date not available: the financial year begins before the history window'
                       when year_to_date.quarters_unknown > 0
                       then 'year to date not available: an earlier quarter of the year has no cost' end) as varchar) as cost_note,
    cast(year_to_date.counts_complete as boolean) as complete,
    cast(year_to_date.counts_incomplete_reason as varchar) as incomplete_reason
from year_to_date
inner join quarter_end_stock as stock
    on stock.la_code = year_to_date.la_code
   and stock.reporting_date = year_to_date.last_date
   and stock.cohort_id = year_to_date.cohort_id
left join quarter_children
    on quarter_children.la_code = year_to_date.la_code
   and quarter_children.year_start = year_to_date.year_start
   and quarter_children.financial_quarter = year_to_date.financial_quarter
   and quarter_children.cohort_id = year_to_date.cohort_id
left join quarter_sources
    on quarter_sources.la_code = year_to_date.la_code
   and quarter_sources.year_start = year_to_date.year_start
   and quarter_sources.financial_quarter = year_to_date.financial_quarter
   and quarter_sources.cohort_id = year_to_date.cohort_id
left join year_children
    on year_children.la_code = year_to_date.la_code
   and year_children.year_start = year_to_date.year_start
   and year_children.financial_quarter = year_to_date.financial_quarter
   and year_children.cohort_id = year_to_date.cohort_id
