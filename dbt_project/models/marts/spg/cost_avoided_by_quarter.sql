-- Cost avoided when children leave care by a permanence route, per LA, financial quarter and route
-- (issue 17 point 4): for each period of care ended in the quarter by adoption, SGO, CAO or return
-- home, the weekly unit cost of the care placement the child left (the period's last placement that
-- is not a placement for adoption, A3-A6: for an adopted child, the placement before the adopters;
-- seed unit_costs in force on the day the child left) less the LA's weekly allowance for that route
-- (seed permanence_allowances in force on that day). annual_cost_avoided_gbp is the full-year effect
-- (x 52). Both seeds ship ILLUSTRATIVE figures, and the mart says so while any is used. Never a 0 for
-- an unknown: a child whose placement has no unit cost, or a route with no allowance in force,
-- leaves the quarter's figure null and cost_note says why. Quarters are those of the history window
-- (var history_months) to D; one with no such exit has 0 children and a cost avoided of 0.
with reporting as (

    select * from {{ ref('int_la__reporting_dates') }}

),

quarters as (

    select distinct
        la_code,
        {{ collection_year_start('reporting_date') }} as year_start,
        {{ financial_quarter('reporting_date') }} as financial_quarter
    from {{ ref('int_reporting_dates__history') }}

),

routes as (

    select cast('Adopted' as varchar) as exit_route
    union all select 'Special guardianship order'
    union all select 'Child arrangements order'
    union all select 'Returned home'

),

exits as (

    select periods.la_code, periods.child_id, periods.period_number, periods.period_end, periods.exit_route
    from {{ ref('int_episodes__periods_of_care') }} as periods
    inner join routes on routes.exit_route = periods.exit_route
    where periods.period_end is not null
      and not periods.ends_on_short_break

),

left_placement as (

    select *
    from (
        select
            exits.*,
            episodes.placement_type,
            episodes.placement_provider,
            row_number() over (
                partition by exits.la_code, exits.child_id, exits.period_number
                order by episodes.episode_start_date desc
            ) as episode_rank
        from exits
        inner join {{ ref('int_episodes__sequenced') }} as episodes
            on episodes.la_code = exits.la_code
           and episodes.child_id = exits.child_id
           and episodes.period_number = exits.period_number
           and (episodes.placement_type is null or episodes.placement_type not in ('A3', 'A4', 'A5', 'A6'))
    ) as ranked
    where episode_rank = 1

),

costs as (

    {{ cost_versions('unit_costs', ['placement_type', 'placement_provider']) }}

),

allowances as (

    {{ cost_versions('permanence_allowances', ['exit_route']) }}

),

priced as (

    select
        exits.la_code,
        exits.child_id,
        exits.exit_route,
        {{ collection_year_start('exits.period_end') }} as year_start,
        {{ financial_quarter('exits.period_end') }} as financial_quarter,
        {{ unit_cost_columns() }},
        allowance.weekly_allowance_gbp,
        allowance.source as allowance_source,
        allowance.effective_from as allowance_effective_from,
        allowance.illustrative as allowance_illustrative
    from exits
    left join left_placement
        on left_placement.la_code = exits.la_code
       and left_placement.child_id = exits.child_id
       and left_placement.period_number = exits.period_number
    {{ unit_cost_joins('costs', 'left_placement.placement_type', 'left_placement.placement_provider', 'exits.period_end') }}
    left join allowances as allowance
        on allowance.exit_route = exits.exit_route
       and {{ in_force_on('allowance', 'exits.period_end') }}

),

summed as (

    select
        la_code, year_start, financial_quarter, exit_route,
        count(*) as periods_ended,
        count(distinct child_id) as children,
        count(distinct case when weekly_cost_gbp is not null then child_id end) as children_costed,
        sum(case when weekly_cost_gbp is null then 1 else 0 end) as periods_unpriced,
        sum(case when weekly_allowance_gbp is null then 1 else 0 end) as periods_no_allowance,
        sum(weekly_cost_gbp) as weekly_placement_cost_gbp,
        sum(weekly_allowance_gbp) as weekly_allowance_gbp,
        string_agg(distinct cost_source, '; ' order by cost_source) as unit_cost_sources,
        max(cost_effective_from) as unit_costs_effective_from,
        string_agg(distinct allowance_source, '; ' order by allowance_source) as allowance_sources,
        max(allowance_effective_from) as allowances_effective_from,
        bool_or(coalesce(cost_illustrative, false) or coalesce(allowance_illustrative, false)) as illustrative
    from priced
    group by la_code, year_start, financial_quarter, exit_route

),

grid as (

    select
        quarters.la_code,
        reporting.as_at_date,
        reporting.coverage_start,
        quarters.year_start,
        quarters.financial_quarter,
        cast({{ dbt.dateadd('month', '3 * (quarters.financial_quarter - 1)', collection_year_start_date('quarters.year_start')) }} as date) as quarter_start,
        routes.exit_route
    from quarters
    inner join reporting on reporting.la_code = quarters.la_code
    cross join routes

),

final as (

    select
        grid.*,
        coalesce(summed.children, 0) as children,
        coalesce(summed.children_costed, 0) as children_costed,
        case
            when coalesce(summed.periods_unpriced, 0) > 0
                then 'not available: ' || cast(summed.periods_unpriced as varchar)
                     || ' children left placements without a unit cost (seed unit_costs)'
            when coalesce(summed.periods_no_allowance, 0) > 0
                then 'not available: no allowance in force for the route (seed permanence_allowances)'
        end as cost_note,
        summed.weekly_placement_cost_gbp,
        summed.weekly_allowance_gbp,
        summed.unit_cost_sources,
        summed.unit_costs_effective_from,
        summed.allowance_sources,
        summed.allowances_effective_from,
        coalesce(summed.illustrative, false) as illustrative
    from grid
    left join summed
        on summed.la_code = grid.la_code
       and summed.year_start = grid.year_start
       and summed.financial_quarter = grid.financial_quarter
       and summed.exit_route = grid.exit_route

)

select
    cast(la_code as varchar) as la_code,
    cast(as_at_date as date) as as_at_date,
    {{ collection_year_label('year_start') }} as financial_year,
    cast(financial_quarter as integer) as financial_quarter,
    cast({{ collection_year_label('year_start') }} || '-Q' || cast(financial_quarter as varchar) as varchar) as quarter_label,
    cast(quarter_start as date) as quarter_start,
    cast(cast({{ dbt.dateadd('day', -1, dbt.dateadd('month', 3, 'quarter_start')) }} as date) > as_at_date as boolean) as partial,
    cast(exit_route as varchar) as exit_route,
    cast(children as bigint) as children,
    cast(children_costed as bigint) as children_costed,
    cast(case when cost_note is null then coalesce(weekly_placement_cost_gbp, 0) end as double precision) as weekly_placement_cost_gbp,
    cast(case when cost_note is null then coalesce(weekly_allowance_gbp, 0) end as double precision) as weekly_allowance_gbp,
    cast(case when cost_note is null then coalesce(weekly_placement_cost_gbp, 0) - coalesce(weekly_allowance_gbp, 0) end
         as double precision) as weekly_cost_avoided_gbp,
    cast(case when cost_note is null then (coalesce(weekly_placement_cost_gbp, 0) - coalesce(weekly_allowance_gbp, 0)) * 52 end
         as double precision) as annual_cost_avoided_gbp,
    cast(unit_cost_sources as varchar) as unit_cost_sources,
    cast(unit_costs_effective_from as date) as unit_costs_effective_from,
    cast(allowance_sources as varchar) as allowance_sources,
    cast(allowances_effective_from as date) as allowances_effective_from,
    cast(illustrative as boolean) as illustrative,
    cast(case when illustrative then {{ illustrative_label() }} end as varchar) as cost_label,
    cast(cost_note as varchar) as cost_note,
    cast(coverage_start is null or coverage_start <= quarter_start as boolean) as complete,
    cast(case when coverage_start is not null and coverage_start > quarter_start
              then 'quarter begins before the coverage start: exits before it are not in the extract' end as varchar)
        as incomplete_reason
from final
