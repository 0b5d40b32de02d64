-- Measures computed by our marts, per LA and collection year (source 'computed'). The benchmark
-- measures (int_benchmark__measures) plus counts that targets can use (exits_*, cla_at_31_march,
-- mean_days_in_care, cohort_<n>_children with the as-at date as period).
with exits as (

    select la_code, collection_year, exit_route, children from {{ ref('exits_by_year') }}

),

exit_totals as (

    select la_code, collection_year, sum(children) as children from exits group by la_code, collection_year

),

routes as (

    select 'Adopted' as exit_route, 'adopted' as route_id
    union all select 'Special guardianship order', 'sgo'
    union all select 'Child arrangements order', 'cao'
    union all select 'Returned home', 'returned_home'

),

route_counts as (

    select
        exit_totals.la_code,
        exit_totals.collection_year,
        routes.route_id,
        coalesce(exits.children, 0) as children,
        exit_totals.children as total_children
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
           100.0 * children / total_children as value
    from route_counts where total_children > 0
    union all
    select la_code, collection_year, 'exits_' || route_id, cast(children as double precision) from route_counts
    union all
    select la_code, collection_year, 'exits_total', cast(children as double precision) from exit_totals
    union all
    select la_code, collection_year, 'stability_three_plus', 100.0 * three_plus_placements / cla_at_31_march
    from stability where cla_at_31_march > 0
    union all
    select la_code, collection_year, 'stability_long_term', 100.0 * long_term_stable / long_term_eligible
    from stability where long_term_eligible > 0
    union all
    select la_code, collection_year, 'cla_at_31_march', cast(cla_at_31_march as double precision) from stability
    union all
    select stability.la_code, stability.collection_year, 'cla_rate_per_10k',
           10000.0 * stability.cla_at_31_march / population.population
    from stability
    inner join population
        on population.la_code = stability.la_code
       and population.mid_year = cast(extract(year from stability.year_end_date) as integer) - 1
    where population.population > 0
    union all
    select la_code, collection_year, 'a1_days', a1_mean from adoption where a1_mean is not null
    union all
    select la_code, collection_year, 'a2_days', a2_mean from adoption where a2_mean is not null
    union all
    select la_code, collection_year, 'a10_days', a10_mean from adoption where a10_mean is not null
    union all
    select la_code, collection_year, 'mean_days_in_care', mean_days_in_care
    from {{ ref('duration_in_care') }} where mean_days_in_care is not null
    union all
    select la_code, cast(as_at_date as varchar), 'cohort_' || cast(cohort_id as varchar) || '_children',
           cast(children as double precision)
    from {{ ref('spg_cohort_summary') }}

)

select
    cast(la_code as varchar) as la_code,
    cast(measure as varchar) as measure,
    cast(period as varchar) as period,
    cast(value as double precision) as value
from measures
