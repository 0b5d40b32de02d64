-- Benchmark per LA, measure, collection year and source (docs/benchmarking.md): the LA's value
-- beside its statistical neighbours (model var benchmark_neighbour_model, default '2025'), its
-- region and England. Computed rows are compared with computed-else-published values, published
-- rows with published values (int_benchmark__comparison_values). Ranks: 1 = best by polarity,
-- ties share the lowest rank (SQL rank()). Quartile among all LAs with a value: 1 + floor(4 *
-- (rank - 1) / n), so tied LAs share a quartile and 1 is the best quarter.
-- complete: false for a computed figure that reaches back past its extract's coverage start or
-- sits in a partial year (incomplete_reason says which). Such a figure is shown beside its
-- neighbours but never ranked: rank_in_group, group_size, quartile_all_las and las_with_data are
-- null, and it takes no part in other LAs' means, ranks or quartiles. A measure with no direction
-- (exit shares, CLA rate) is never ranked either: ranks and quartiles would read as better or worse.
with measures as (

    select * from {{ ref('int_benchmark__measures') }}

),

focus as (

    select
        vals.la_code,
        vals.measure,
        vals.period,
        vals.source,
        vals.value,
        vals.suppression,
        vals.complete,
        vals.incomplete_reason,
        measures.polarity,
        case when measures.polarity = 'higher is better' then -1.0 else 1.0 end as direction
    from {{ ref('int_benchmark__values') }} as vals
    inner join measures on measures.measure = vals.measure

),

comparison as (

    select * from {{ ref('int_benchmark__comparison_values') }}

),

neighbours as (

    select la_code, neighbour_la_code
    from {{ ref('stg_reference__statistical_neighbours') }}
    where model = '{{ var("benchmark_neighbour_model", "2025") }}'

),

listed as (

    select la_code, count(distinct neighbour_la_code) as neighbours_listed from neighbours group by la_code

),

neighbour_values as (

    select focus.la_code, focus.measure, focus.period, focus.source, comparison.la_code as member_la_code,
           comparison.value, focus.direction
    from focus
    inner join neighbours on neighbours.la_code = focus.la_code
    inner join comparison
        on comparison.comparison = focus.source
       and comparison.la_code = neighbours.neighbour_la_code
       and comparison.measure = focus.measure
       and comparison.period = focus.period

),

neighbour_stats as (

    select
        la_code, measure, period, source,
        count(*) as neighbours_with_data,
        avg(value) as neighbour_mean,
        percentile_cont(0.5) within group (order by value) as neighbour_median
    from neighbour_values
    group by la_code, measure, period, source

),

group_values as (

    select la_code, measure, period, source, member_la_code, value, direction from neighbour_values
    union all
    select la_code, measure, period, source, la_code, value, direction from focus where value is not null and complete

),

group_ranked as (

    select
        la_code, measure, period, source, member_la_code,
        rank() over (partition by la_code, measure, period, source order by direction * value) as rank_in_group,
        count(*) over (partition by la_code, measure, period, source) as group_size
    from group_values

),

all_ranked as (

    select
        comparison.comparison, comparison.la_code, comparison.measure, comparison.period,
        rank() over (partition by comparison.comparison, comparison.measure, comparison.period
                     order by (case when measures.polarity = 'higher is better' then -1.0 else 1.0 end) * comparison.value) as overall_rank,
        count(*) over (partition by comparison.comparison, comparison.measure, comparison.period) as las_with_data
    from comparison
    inner join measures on measures.measure = comparison.measure

),

las as (

    select * from {{ ref('int_benchmark__las') }}

),

published_other as (

    select * from {{ ref('stg_reference__published_measures') }}

),

region_published as (

    select region_code, measure, period, max(value) as value
    from published_other where geographic_level = 'regional' and value is not null
    group by region_code, measure, period

),

england_published as (

    select measure, period, max(value) as value
    from published_other where geographic_level = 'national' and value is not null
    group by measure, period

),

region_loaded as (

    select comparison.comparison, las.region_code, comparison.measure, comparison.period, avg(comparison.value) as value
    from comparison
    inner join las on las.la_code = comparison.la_code
    where las.region_code is not null
    group by comparison.comparison, las.region_code, comparison.measure, comparison.period

),

la_published as (

    select la_code, measure, period, value, suppression
    from {{ ref('int_benchmark__values') }} where source = 'published'

)

select
    cast(focus.la_code as varchar) as la_code,
    cast(las.la_name as varchar) as la_name,
    cast(las.region_code as varchar) as region_code,
    cast(focus.measure as varchar) as measure,
    cast(focus.period as varchar) as period,
    cast(focus.source as varchar) as source,
    cast(focus.value as double precision) as value,
    cast(focus.suppression as varchar) as suppression,
    cast(focus.polarity as varchar) as polarity,
    cast('{{ var("benchmark_neighbour_model", "2025") }}' as varchar) as neighbour_model,
    cast(coalesce(listed.neighbours_listed, 0) as integer) as neighbours_listed,
    cast(coalesce(neighbour_stats.neighbours_with_data, 0) as integer) as neighbours_with_data,
    cast(neighbour_stats.neighbour_mean as double precision) as neighbour_mean,
    cast(neighbour_stats.neighbour_median as double precision) as neighbour_median,
    cast(coalesce(region_published.value, region_loaded.value) as double precision) as region_value,
    cast(case when region_published.value is not null then 'published'
              when region_loaded.value is not null then 'mean of loaded LAs' end as varchar) as region_value_basis,
    cast(england_published.value as double precision) as england_value,
    cast(case when focus.value is not null and focus.complete and focus.polarity <> 'no direction'
               and coalesce(neighbour_stats.neighbours_with_data, 0) > 0
              then group_ranked.rank_in_group end as integer) as rank_in_group,
    cast(case when focus.value is not null and focus.complete and focus.polarity <> 'no direction'
               and coalesce(neighbour_stats.neighbours_with_data, 0) > 0
              then group_ranked.group_size end as integer) as group_size,
    cast(case when focus.value is not null and focus.complete and focus.polarity <> 'no direction'
              then 1 + floor(4.0 * (all_ranked.overall_rank - 1) / all_ranked.las_with_data) end as integer) as quartile_all_las,
    cast(case when focus.value is not null and focus.complete then all_ranked.las_with_data end as integer) as las_with_data,
    -- the LAs a quartile was taken over, in words, so a printed quartile never hides its basis
    cast(case when focus.value is not null and focus.complete and focus.polarity <> 'no direction'
              then 'among the ' || cast(all_ranked.las_with_data as varchar) || ' LAs with a '
                   || case when focus.source = 'published' then 'published ' || focus.period || ' figure'
                           else focus.period || ' figure (computed where loaded, else published)' end
         end as varchar) as quartile_basis,
    cast(focus.complete as boolean) as complete,
    cast(focus.incomplete_reason as varchar) as incomplete_reason,
    cast(case when focus.source = 'computed' then la_published.value end as double precision) as published_value,
    cast(case when focus.source = 'computed' then la_published.suppression end as varchar) as published_suppression,
    cast(case when focus.source = 'computed' then focus.value - la_published.value end as double precision) as difference
from focus
left join las on las.la_code = focus.la_code
left join listed on listed.la_code = focus.la_code
left join neighbour_stats
    on neighbour_stats.la_code = focus.la_code and neighbour_stats.measure = focus.measure
   and neighbour_stats.period = focus.period and neighbour_stats.source = focus.source
left join group_ranked
    on group_ranked.la_code = focus.la_code and group_ranked.member_la_code = focus.la_code
   and group_ranked.measure = focus.measure and group_ranked.period = focus.period
   and group_ranked.source = focus.source
left join all_ranked
    on all_ranked.comparison = focus.source and all_ranked.la_code = focus.la_code
   and all_ranked.measure = focus.measure and all_ranked.period = focus.period
left join region_published
    on region_published.region_code = las.region_code and region_published.measure = focus.measure
   and region_published.period = focus.period
left join region_loaded
    on region_loaded.comparison = focus.source and region_loaded.region_code = las.region_code
   and region_loaded.measure = focus.measure and region_loaded.period = focus.period
left join england_published
    on england_published.measure = focus.measure and england_published.period = focus.period
left join la_published
    on focus.source = 'computed' and la_published.la_code = focus.la_code
   and la_published.measure = focus.measure and la_published.period = focus.period
