-- Estimated weekly spend per SPG cohort on D (for budget scrutiny): the tracker's children priced
-- by current placement type and provider from the seed unit_costs (ILLUSTRATIVE figures the LA
-- replaces). A cost row with a blank provider applies to any provider of that type; a row for the
-- exact provider wins. Children in several cohorts are counted (and priced) in each.
with tracker as (

    select * from "permanence"."marts"."spg_cohort_children"

),

costs as (

    select placement_type, placement_provider, cast(weekly_cost_gbp as double precision) as weekly_cost_gbp
    from "permanence"."reference"."unit_costs"

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

    select la_code, as_at_date from "permanence"."intermediate"."int_la__reporting_dates"

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
    cast(coalesce(summed.estimated_weekly_cost_gbp, 0) as double precision) as estimated_weekly_cost_gbp,
    cast(coalesce(summed.estimated_weekly_cost_gbp, 0) * 52 as double precision) as estimated_annual_cost_gbp
from dates
cross join (select 1 as cohort_id, cast('No one holds parental responsibility' as varchar) as cohort_name
    union all select 2, 'Placement order over 9 months'
    union all select 3, 'Long-term fostering plan, no match'
    union all select 4, 'Foster care over 12 months'
    union all select 5, 'Placed with parents over 12 months'
    union all select 6, 'External residential over 12 months') as cohorts
left join summed
    on summed.la_code = dates.la_code
   and summed.cohort_id = cohorts.cohort_id