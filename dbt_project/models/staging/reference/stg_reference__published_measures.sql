-- reference.published_measures: renames and casts only. An empty typed relation when the table has never been
-- created (a warehouse without reference data), so the nightly build does not need it.
{%- set src = source('reference', 'published_measures') -%}
{%- set found = adapter.get_relation(database=src.database, schema=src.schema, identifier=src.identifier) if execute else true -%}
{% if found %}
select
    cast(la_code as varchar) as la_code,
    cast(la_name as varchar) as la_name,
    cast(geographic_level as varchar) as geographic_level,
    cast(region_code as varchar) as region_code,
    cast(time_period as integer) as time_period,
    cast(period as varchar) as period,
    cast(measure as varchar) as measure,
    cast(value as double precision) as value,
    cast(suppression as varchar) as suppression,
    cast(source_file as varchar) as source_file
from {{ src }}
{% else %}
select
    cast(null as varchar) as la_code,
    cast(null as varchar) as la_name,
    cast(null as varchar) as geographic_level,
    cast(null as varchar) as region_code,
    cast(null as integer) as time_period,
    cast(null as varchar) as period,
    cast(null as varchar) as measure,
    cast(null as double precision) as value,
    cast(null as varchar) as suppression,
    cast(null as varchar) as source_file
where 1 = 0
{% endif %}
