{#
    current_load_rows(source_relation)

    Selects the rows of a raw table that belong to each LA's current load.

    Why: the raw layer is append-only. Every extract an LA sends is kept (with load_id,
    extract_date, source_file, source_sha256, source_row) so any figure can be traced back to
    the file it came from and earlier extracts stay available for audit. Downstream models
    must see one extract per LA: the one raw.current_load names (set by the load step when a
    load succeeds). So every staging model reads its source through this semi-join on
    (la_code, load_id), never the raw table directly.

    Portable SQL (DuckDB and PostgreSQL): a correlated EXISTS, no dialect-specific syntax.

    Usage in a staging model:
        with source as ( {{ current_load_rows(source('ssda903', 'episodes')) }} ), ...
#}
{% macro current_load_rows(source_relation) -%}
    select raw_rows.*
    from {{ source_relation }} as raw_rows
    where exists (
        select 1
        from {{ source('pipeline', 'current_load') }} as current_load
        where current_load.la_code = raw_rows.la_code
          and current_load.load_id = raw_rows.load_id
    )
{%- endmacro %}
