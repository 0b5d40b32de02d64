-- Measures computed by our marts, per LA and collection year (source 'computed'). The benchmark
-- measures (int_benchmark__measures) plus counts that targets can use (exits_* with exits_permanence, cla_at_31_march,
-- mean_days_in_care, cohort_<n>_children with the as-at date as period).
-- complete / incomplete_reason come from the mart the figure is read from (coverage,
-- docs/measures.md#coverage): benchmark and targets never rank an incomplete figure as if it were complete. A
-- partial year (not ended on D) is incomplete too: it would sit beside other LAs' whole years.
with exits as (

    select la_code, collection_year, exit_route, children, complete, incomplete_reason, partial from {{ ref('exits_by_year') }}

),

exit_totals as (

    select la_code, collection_year, sum(children) as children,
           min(case when complete then 1 else 0 end) = 1 as complete, max(incomplete_reason) as incomplete_reason,
           max(case when partial then 1 else 0 end) = 1 as partial
    from exits group by la_code, collection_year

),

routes as (

    select exit_route, route_id from {{ ref('exit_routes') }} where permanence_exit

),

route_counts as (

    select
        exit_totals.la_code,
        exit_totals.collection_year,
        routes.route_id,
        coalesce(exits.children, 0) as children,
        exit_totals.children as total_children,
        exit_totals.complete,
        exit_totals.incomplete_reason,
        exit_totals.partial
    from exit_totals
    cross join routes
    left join exits
        on exits.la_code = exit_totals.la_code
       and exits.collection_year = exit_totals.collection_year
       and exits.exit_route = routes.exit_route

),

stability as (

    select * from {{ ref('placement_stability') }}

),

population as (

    select la_code, mid_year, population
    from {{ ref('stg_reference__population_0_17') }}
    where geographic_level = 'local_authority' and population is not null

),

adoption as (

    select * from {{ ref('adoption_scorecard') }}

),

measures as (

    select la_code, collection_year as period, 'exit_share_' || route_id as measure,
           100.0 * children / total_children as value, complete, incomplete_reason, partial
    from route_counts where total_children > 0
    union all
    select la_code, collection_year, 'exits_' || route_id, cast(children as double precision), complete, incomplete_reason, partial
    from route_counts
    union all
    select la_code, collection_year, 'exits_total', cast(children as double precision), complete, incomplete_reason, partial
    from exit_totals
    union all
    -- permanence exits (docs/measures.md#exit-routes): the four routes above together
    select la_code, collection_year, 'exits_permanence', cast(sum(children) as double precision),
           min(case when complete then 1 else 0 end) = 1, max(incomplete_reason), max(case when partial then 1 else 0 end) = 1
    from route_counts group by la_code, collection_year
    union all
    select la_code, collection_year, 'stability_three_plus', 100.0 * three_plus_placements / cla_at_31_march,
           complete, incomplete_reason, partial
    from stability where cla_at_31_march > 0
    union all
    select la_code, collection_year, 'stability_long_term', 100.0 * long_term_stable / long_term_eligible,
           long_term_complete, long_term_incomplete_reason, partial
    from stability where long_term_eligible > 0
    union all
    select la_code, collection_year, 'cla_at_31_march', cast(cla_at_31_march as double precision),
           complete, incomplete_reason, partial
    from stability
    union all
    select stability.la_code, stability.collection_year, 'cla_rate_per_10k',
           10000.0 * stability.cla_at_31_march / population.population,
           stability.complete, stability.incomplete_reason, stability.partial
    from stability
    inner join population
        on population.la_code = stability.la_code
       and population.mid_year = cast(extract(year from stability.year_end_date) as integer) - 1
    where population.population > 0
    union all
    select la_code, collection_year, 'a1_days', a1_mean, complete, incomplete_reason, partial from adoption where a1_mean is not null
    union all
    select la_code, collection_year, 'a2_days', a2_mean, complete, incomplete_reason, partial from adoption where a2_mean is not null
    union all
    select la_code, collection_year, 'a10_days', a10_mean, complete, incomplete_reason, partial from adoption where a10_mean is not null
    union all
    select la_code, collection_year, 'mean_days_in_care', mean_days_in_care, complete, incomplete_reason, partial
    from {{ ref('duration_in_care') }} where mean_days_in_care is not null
    union all
    select la_code, cast(as_at_date as varchar), 'cohort_' || cast(cohort_id as varchar) || '_children',
           cast(children as double precision), complete, incomplete_reason, false
    from {{ ref('spg_cohort_summary') }} where children is not null

)

select
    cast(la_code as varchar) as la_code,
    cast(measure as varchar) as measure,
    cast(period as varchar) as period,
    cast(value as double precision) as value,
    cast(complete and not partial as boolean) as complete,
    cast(case when not complete then incomplete_reason
              when partial then 'partial year (not ended on the reporting date)' end as varchar) as incomplete_reason,
    cast(partial as boolean) as partial
from measures
