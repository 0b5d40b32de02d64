-- One row per LA (old 3-digit code) with name and region, from the published lookup (live rows
-- first), else the region hierarchy, else the region named on the LA's published figures.
with candidates as (

    select la_code, la_name, region_code, 1 as preference
    from {{ ref('stg_reference__las') }} where status = 'live'
    union all
    select la_code, la_name, region_code, 2 from {{ ref('stg_reference__la_regions') }}
    union all
    select la_code, la_name, region_code, 3 from {{ ref('stg_reference__las') }}
    union all
    select la_code, la_name, region_code, 4
    from {{ ref('stg_reference__published_measures') }}
    where geographic_level = 'local_authority'

),

ranked as (

    select *, row_number() over (partition by la_code order by preference, la_name) as rn
    from candidates
    where la_code is not null

),

region_names as (

    select region_code, max(region_name) as region_name
    from (
        select region_code, region_name from {{ ref('stg_reference__regions') }}
        union all
        select region_code, region_name from {{ ref('stg_reference__la_regions') }}
    ) as named
    group by region_code

)

select
    cast(ranked.la_code as varchar) as la_code,
    cast(ranked.la_name as varchar) as la_name,
    cast(ranked.region_code as varchar) as region_code,
    cast(region_names.region_name as varchar) as region_name
from ranked
left join region_names on region_names.region_code = ranked.region_code
where ranked.rn = 1
