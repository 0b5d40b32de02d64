{#
    primary_key(columns, nullable=[])

    Fails when the columns are not the model's key: returns one row per combination that occurs
    more than once, or that has a null in a part not listed as nullable, with its count. Nulls
    group together, so two rows with the same key and a null nullable part count as duplicates.
    Used for every table's key, always with la_code first (a child's key is unique within one
    LA's current extract). One scan stands for the key's not_null tests as well as its
    uniqueness: at national scale each test is a scan of the table and a node of dbt's own work
    (docs/performance.md).
#}
{% test primary_key(model, columns, nullable=[]) %}
    {%- set columns_csv = columns | join(', ') %}
    select {{ columns_csv }}, count(*) as n_records
    from {{ model }}
    group by {{ columns_csv }}
    having count(*) > 1
    {%- for column in columns if column not in nullable %} or {{ column }} is null{% endfor %}
{% endtest %}
