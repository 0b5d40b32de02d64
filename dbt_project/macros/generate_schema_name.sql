{#
    Schemas are exactly `staging`, `intermediate`, `marts` (from +schema in dbt_project.yml),
    not dbt's default `<target_schema>_staging`. Nodes without a custom schema use the target's.
#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
