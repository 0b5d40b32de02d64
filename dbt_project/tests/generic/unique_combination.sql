{#
    unique_combination(combination_of_columns)

    Fails when a combination of columns is not unique in the model: returns one row per
    duplicated combination with its count. Used for table keys, always with la_code first
    (a child's key is unique within one LA's current extract). NULLs group together, so
    two rows with the same key and a null key part count as duplicates.
    In-project stand-in for dbt_utils.unique_combination_of_columns (no hub packages offline).
#}
{% test unique_combination(model, combination_of_columns) %}
    {%- set columns_csv = combination_of_columns | join(', ') %}
    select {{ columns_csv }}, count(*) as n_records
    from {{ model }}
    group by {{ columns_csv }}
    having count(*) > 1
{% endtest %}
