-- reference.la_regions: renames and casts only. An empty typed relation when the table has never been
-- created (a warehouse without reference data), so the nightly build does not need it.
{%- set src = source('reference', 'la_regions') -%}
{%- set found = adapter.get_relation(database=src.database, schema=src.schema, identifier=src.identifier) if execute else true -%}
{% if found %}
select
    cast(la_code as varchar) as la_code,
    cast(ons_code as varchar) as ons_code,
    cast(la_name as varchar) as la_name,
    cast(region_code as varchar) as region_code,
    cast(region_name as varchar) as region_name
from {{ src }}
{% else %}
select
    cast(null as varchar) as la_code,
    cast(null as varchar) as ons_code,
    cast(null as varchar) as la_name,
    cast(null as varchar) as region_code,
    cast(null as varchar) as region_name
where 1 = 0
{% endif %}
