-- reference.population_0_17: renames and casts only. An empty typed relation when the table has never been
-- created (a warehouse without reference data), so the nightly build does not need it.
{%- set src = source('reference', 'population_0_17') -%}
{%- set found = adapter.get_relation(database=src.database, schema=src.schema, identifier=src.identifier) if execute else true -%}
{% if found %}
select
    cast(la_code as varchar) as la_code,
    cast(geographic_level as varchar) as geographic_level,
    cast(region_code as varchar) as region_code,
    cast(year as integer) as mid_year,
    cast(population as double precision) as population,
    cast(suppression as varchar) as suppression
from {{ src }}
{% else %}
select
    cast(null as varchar) as la_code,
    cast(null as varchar) as geographic_level,
    cast(null as varchar) as region_code,
    cast(null as integer) as mid_year,
    cast(null as double precision) as population,
    cast(null as varchar) as suppression
where 1 = 0
{% endif %}
