-- Children waiting on D (issue 12 point 7): per LA, children looked after on D (not on a short
-- break) with an adoption decision or a placement order in their current period and not yet placed
-- for adoption (no A3-A6 episode, no placed date in the extract), and how long since the decision
-- and since the order. A decision reversed on or before D (PlacedAdoption DATE_PLACED_CEASED, or
-- the extract's reversal) means the child is no longer waiting: counted apart, never in the
-- waiting figures. Every LA in the current loads has a row (0 children is a figure; the means of
-- no children are null).
-- complete: false when a child counted has an unknown period start: a placement order before the
-- coverage start C is not seen, so the order date (first E1/D1 episode seen) may be too late.
with reporting as (

    select * from {{ ref('int_la__reporting_dates') }}

),

on_d as (

    select
        *,
        case when date_decision is not null then {{ days_between('date_decision', 'as_at_date') }} end as days_since_decision,
        case when date_placement_order is not null then {{ days_between('date_placement_order', 'as_at_date') }} end as days_since_placement_order
    from {{ ref('int_adoption__stages') }}
    where looked_after_on_as_at_date
      and not on_short_break
      and not adopted
      and date_placed_for_adoption is null
      and (date_decision is not null or date_placement_order is not null)

),

waiting as (

    select * from on_d where date_decision_reversed is null

),

reversed as (

    select la_code, count(*) as decisions_reversed
    from on_d
    where date_decision_reversed is not null
    group by la_code

),

summary as (

    select
        la_code,
        count(*) as children_waiting,
        count(days_since_decision) as children_waiting_with_decision,
        avg(cast(days_since_decision as double precision)) as mean_days_since_decision,
        percentile_cont(0.5) within group (order by days_since_decision) as median_days_since_decision,
        max(days_since_decision) as max_days_since_decision,
        count(days_since_placement_order) as children_waiting_with_placement_order,
        avg(cast(days_since_placement_order as double precision)) as mean_days_since_placement_order,
        percentile_cont(0.5) within group (order by days_since_placement_order) as median_days_since_placement_order,
        max(days_since_placement_order) as max_days_since_placement_order,
        sum(case when date_match is not null then 1 else 0 end) as children_waiting_matched,
        sum(case when period_start_unknown then 1 else 0 end) as children_start_unknown
    from waiting
    group by la_code

)

select
    cast(reporting.la_code as varchar) as la_code,
    cast(reporting.as_at_date as date) as as_at_date,
    cast(coalesce(summary.children_waiting, 0) as bigint) as children_waiting,
    cast(coalesce(summary.children_waiting_with_decision, 0) as bigint) as children_waiting_with_decision,
    cast(summary.mean_days_since_decision as double precision) as mean_days_since_decision,
    cast(summary.median_days_since_decision as double precision) as median_days_since_decision,
    cast(summary.max_days_since_decision as integer) as max_days_since_decision,
    cast(coalesce(summary.children_waiting_with_placement_order, 0) as bigint) as children_waiting_with_placement_order,
    cast(summary.mean_days_since_placement_order as double precision) as mean_days_since_placement_order,
    cast(summary.median_days_since_placement_order as double precision) as median_days_since_placement_order,
    cast(summary.max_days_since_placement_order as integer) as max_days_since_placement_order,
    cast(coalesce(summary.children_waiting_matched, 0) as bigint) as children_waiting_matched,
    cast(coalesce(reversed.decisions_reversed, 0) as bigint) as decisions_reversed,
    cast(coalesce(summary.children_start_unknown, 0) = 0 as boolean) as complete,
    cast(case when summary.children_start_unknown > 0
              then 'period start unknown for a child waiting: a placement order before the coverage start is not seen'
         end as varchar) as incomplete_reason
from reporting
left join summary on summary.la_code = reporting.la_code
left join reversed on reversed.la_code = reporting.la_code
