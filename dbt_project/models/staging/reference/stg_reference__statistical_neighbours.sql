-- reference.statistical_neighbours: renames and casts only. An empty typed relation when the table has never been
-- created (a warehouse without reference data), so the nightly build does not need it.
{%- set src = source('reference', 'statistical_neighbours') -%}
{%- set found = adapter.get_relation(database=src.database, schema=src.schema, identifier=src.identifier) if execute else true -%}
{% if found %}
select
    cast(la_code as varchar) as la_code,
    cast(model as varchar) as model,
    cast(rank as integer) as neighbour_rank,
    cast(neighbour_la_code as varchar) as neighbour_la_code,
    cast(closeness as varchar) as closeness
from {{ src }}
{% else %}
select
    cast(null as varchar) as la_code,
    cast(null as varchar) as model,
    cast(null as integer) as neighbour_rank,
    cast(null as varchar) as neighbour_la_code,
    cast(null as varchar) as closeness
where 1 = 0
{% endif %}
