-- One row per LA: every LA the reference data names (permanence reference load) and every LA with
-- a current load, so a demo or a new LA without reference data still joins (its name null until
-- the lookup is loaded, never guessed). Statistical neighbours: the model the benchmark uses.
with reference_las as (

    select la_code, la_name, region_code, region_name from {{ ref('int_benchmark__las') }}

),

loaded as (

    select la_code, as_at_date, extract_date, coverage_start from {{ ref('int_la__reporting_dates') }}

),

neighbours as (

    select
        la_code,
        {{ dbt.listagg('neighbour_la_code', "','", 'order by neighbour_rank') }} as statistical_neighbours,
        count(*) as neighbours_listed
    from {{ ref('stg_reference__statistical_neighbours') }}
    where model = '{{ var("benchmark_neighbour_model", "2025") }}'
    group by la_code

),

codes as (

    select la_code from reference_las
    union
    select la_code from loaded

)

select
    cast(codes.la_code as varchar) as la_code,
    cast(reference_las.la_name as varchar) as la_name,
    cast(reference_las.region_code as varchar) as region_code,
    cast(reference_las.region_name as varchar) as region_name,
    cast('{{ var("benchmark_neighbour_model", "2025") }}' as varchar) as neighbour_model,
    cast(neighbours.statistical_neighbours as varchar) as statistical_neighbours,
    cast(coalesce(neighbours.neighbours_listed, 0) as integer) as neighbours_listed,
    cast(loaded.la_code is not null as boolean) as has_current_load,
    cast(loaded.as_at_date as date) as as_at_date,
    cast(loaded.extract_date as date) as extract_date,
    cast(loaded.coverage_start as date) as coverage_start
from codes
left join reference_las on reference_las.la_code = codes.la_code
left join neighbours on neighbours.la_code = codes.la_code
left join loaded on loaded.la_code = codes.la_code
where codes.la_code is not null
