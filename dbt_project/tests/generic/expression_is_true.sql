{#
    expression_is_true(expression)

    Fails with the rows of the model where the boolean SQL expression is not true (false or null).
    Invariants on marts, e.g. "days_in_care is null or days_in_care >= 0".
    In-project stand-in for dbt_utils.expression_is_true (no hub packages offline).
#}
{% test expression_is_true(model, expression) %}
    select 1 as failing_row
    from {{ model }}
    where not coalesce(({{ expression }}), false)
{% endtest %}
