{#
    Per-LA incremental builds of the intermediate models that hold one LA's rows each.

    Why: an LA's rows in these models depend only on its current load (raw.current_load) and on
    the project itself (models, macros, seeds, vars). A consortium or national warehouse reloads
    only the LAs that sent a new drop, so rebuilding the other LAs' episodes, periods and 36 months
    of cohort history every night is wasted work. These models (listed in dbt_project.yml) are
    incremental: each row carries the load it was built from (built_from_load) and the project's
    build key, and a build
      1. deletes the rows of every LA whose current load or build key is no longer theirs
         (pre-hook delete_stale_la_rows: a new drop, a discarded load, a changed model or var);
      2. builds only the LAs left with no rows (la_needs_build), from all of their inputs.
    An LA's rows are therefore always all from one current load and one version of the project,
    the same rows a full build gives (tests/test_incremental.py compares the two).

    The build key is var('build_key'): permanence.transform.dbt.run_dbt passes a fingerprint of the
    project's files, the other vars and the dbt versions. A hand-run `dbt build` without it gets
    this invocation's id, so every LA is rebuilt: never stale, only slower.

    Usage in a model:
        with episodes as (
            select * from {{ ref('int_episodes__sequenced') }} where {{ la_needs_build() }}
        ),
        final as ( ... )
        {{ select_with_build_columns('final') }}
#}

{% macro la_build_key() -%}
    {{ return(var('build_key', none) or invocation_id) }}
{%- endmacro %}


{% macro delete_stale_la_rows() -%}
    {%- if _incremental_build() and not _has_build_columns(this) %}
    {#- a table built before these models were incremental: rebuild it whole -#}
    delete from {{ this }}
    {%- elif _incremental_build() %}
    delete from {{ this }} as stale
    where stale.build_key <> '{{ la_build_key() }}'
       or not exists (
            select 1
            from {{ source('pipeline', 'current_load') }} as current_load
            where current_load.la_code = stale.la_code
              and current_load.load_id = stale.built_from_load
        )
    {%- endif %}
{%- endmacro %}


{# dbt unit tests render models with no `this`, where is_incremental() cannot be asked. #}
{% macro _incremental_build() -%}
    {{ return(this is not none and is_incremental()) }}
{%- endmacro %}


{% macro _has_build_columns(relation) -%}
    {%- set names = adapter.get_columns_in_relation(relation) | map(attribute='name') | map('lower') | list -%}
    {{ return('build_key' in names and 'built_from_load' in names) }}
{%- endmacro %}


{# The filter for a model's inputs: rows of LAs this build must (re)build. #}
{% macro la_needs_build(la_code='la_code') -%}
    {%- if _incremental_build() -%}
        {{ la_code }} not in (select built.la_code from {{ this }} as built where built.la_code is not null)
    {%- else -%}
        1 = 1
    {%- endif -%}
{%- endmacro %}


{# The model's final select: its rows with the load they were built from and the build key. #}
{% macro select_with_build_columns(relation) -%}
    select
        {{ relation }}.*,
        current_load.load_id as built_from_load,
        cast('{{ la_build_key() }}' as {{ dbt.type_string() }}) as build_key
    from {{ relation }}
    inner join {{ source('pipeline', 'current_load') }} as current_load
        on current_load.la_code = {{ relation }}.la_code
{%- endmacro %}
