-- Estimated weekly spend per SPG cohort on D (for budget scrutiny): the tracker's children priced
-- by current placement type and provider from the seed unit_costs in force on D (versioned by
-- effective_from; ILLUSTRATIVE figures the LA replaces, and the mart says so while any is used). A cost row with a blank provider applies to any provider of that type; a row for the
-- exact provider wins. Children in several cohorts are counted (and priced) in each. A cohort with a
-- child in a placement the seed has no cost for has no estimate (null, and cost_note says why): a
-- sum over the children that happen to be priced would be a wrong figure that looks right.
with tracker as (

    select * from {{ ref('spg_cohort_children') }}

),

costs as (

    {{ cost_versions('unit_costs', ['placement_type', 'placement_provider']) }}

),

priced as (

    select
        tracker.la_code,
        tracker.as_at_date,
        tracker.cohort_id,
        tracker.child_id,
        {{ unit_cost_columns() }}
    from tracker
    {{ unit_cost_joins('costs', 'tracker.placement_type', 'tracker.placement_provider', 'tracker.as_at_date') }}

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
        sum(weekly_cost_gbp) as estimated_weekly_cost_gbp,
        string_agg(distinct cost_source, '; ' order by cost_source) as unit_cost_sources,
        max(cost_effective_from) as unit_costs_effective_from,
        bool_or(cost_illustrative) as illustrative
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
         end as varchar) as cost_note,
    cast(summed.unit_cost_sources as varchar) as unit_cost_sources,
    cast(summed.unit_costs_effective_from as date) as unit_costs_effective_from,
    cast(coalesce(summed.illustrative, false) as boolean) as illustrative,
    cast(case when summed.illustrative then {{ illustrative_label() }} end as varchar) as cost_label
from dates
cross join ({{ spg_cohorts_relation() }}) as cohorts
left join summed
    on summed.la_code = dates.la_code
   and summed.cohort_id = cohorts.cohort_id
