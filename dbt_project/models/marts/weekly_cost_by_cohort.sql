-- Estimated weekly spend per SPG cohort on D (for budget scrutiny): the tracker's children priced
-- by current placement type and provider from the seed unit_costs (ILLUSTRATIVE figures the LA
-- replaces). A cost row with a blank provider applies to any provider of that type; a row for the
-- exact provider wins. Children in several cohorts are counted (and priced) in each. A cohort with a
-- child in a placement the seed has no cost for has no estimate (null, and cost_note says why): a
-- sum over the children that happen to be priced would be a wrong figure that looks right.
with tracker as (

    select * from {{ ref('spg_cohort_children') }}

),

costs as (

    select placement_type, placement_provider, cast(weekly_cost_gbp as double precision) as weekly_cost_gbp
    from {{ ref('unit_costs') }}

),

priced as (

    select
        tracker.la_code,
        tracker.as_at_date,
        tracker.cohort_id,
        tracker.child_id,
        coalesce(exact.weekly_cost_gbp, any_provider.weekly_cost_gbp) as weekly_cost_gbp
    from tracker
    left join costs as exact
        on exact.placement_type = tracker.placement_type
       and exact.placement_provider = tracker.placement_provider
    left join costs as any_provider
        on any_provider.placement_type = tracker.placement_type
       and any_provider.placement_provider is null

),

dates as (

    select la_code, as_at_date from {{ ref('int_la__reporting_dates') }}

),

summed as (

    select
        la_code,
        cohort_id,
        count(distinct child_id) as children,
        count(distinct case when weekly_cost_gbp is not null then child_id end) as children_costed,
        sum(weekly_cost_gbp) as estimated_weekly_cost_gbp
    from priced
    group by la_code, cohort_id

)

select
    cast(dates.la_code as varchar) as la_code,
    cast(dates.as_at_date as date) as as_at_date,
    cast(cohorts.cohort_id as integer) as cohort_id,
    cast(cohorts.cohort_name as varchar) as cohort_name,
    cast(coalesce(summed.children, 0) as bigint) as children,
    cast(coalesce(summed.children_costed, 0) as bigint) as children_costed,
    cast(case when coalesce(summed.children_costed, 0) = coalesce(summed.children, 0)
              then coalesce(summed.estimated_weekly_cost_gbp, 0) end as double precision) as estimated_weekly_cost_gbp,
    cast(case when coalesce(summed.children_costed, 0) = coalesce(summed.children, 0)
              then coalesce(summed.estimated_weekly_cost_gbp, 0) * 52 end as double precision) as estimated_annual_cost_gbp,
    cast(case when coalesce(summed.children_costed, 0) < coalesce(summed.children, 0)
              then 'not available: ' || cast(summed.children - summed.children_costed as varchar) || ' of '
                   || cast(summed.children as varchar) || ' children in placements without a unit cost (seed unit_costs)'
         end as varchar) as cost_note
from dates
cross join ({{ spg_cohorts_relation() }}) as cohorts
left join summed
    on summed.la_code = dates.la_code
   and summed.cohort_id = cohorts.cohort_id
