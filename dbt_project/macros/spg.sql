{#
    Helpers of the SPG's movement, drift and cost marts (issue 17). Portable: DuckDB and PostgreSQL.
#}

{# The drift watchlist's rules (spg_drift_watchlist), as a relation with rule_id and rule. #}
{% macro drift_rules_relation() -%}
    select 1 as rule_id, cast('Placement order over {{ var("placement_order_months") }} months, not placed for adoption' as varchar) as rule
    union all select 2, 'Adoption decision reversed, placement order not yet revoked'
    union all select 3, 'Long-term fostering plan unmatched over {{ var("ltf_unmatched_months") }} months'
    union all select 4, 'Care proceedings open over {{ var("proceedings_open_days") }} days (26 weeks)'
    union all select 5, 'SGO or CAO plan with no order over {{ var("sgo_cao_plan_months") }} months'
    union all select 6, 'Statutory review overdue'
{%- endmacro %}


{#
    Versions of a seed that holds costs "from effective_from": each row with the date the next
    version of the same key takes over (effective_to, exclusive; null while current). The cost in
    force on a date d is the row with effective_from <= d < effective_to.
#}
{% macro cost_versions(seed, key_columns) -%}
    select
        versions.*,
        lead(versions.effective_from) over (
            partition by {% for c in key_columns %}coalesce(versions.{{ c }}, ''){{ ', ' if not loop.last }}{% endfor %}
            order by versions.effective_from
        ) as effective_to
    from {{ ref(seed) }} as versions
{%- endmacro %}


{# In force on a date: the join condition of a cost_versions() row. #}
{% macro in_force_on(versions, on_date) -%}
    ({{ versions }}.effective_from <= {{ on_date }}
     and ({{ versions }}.effective_to is null or {{ versions }}.effective_to > {{ on_date }}))
{%- endmacro %}


{#
    The weekly unit cost of a placement on a date, from cost_versions('unit_costs', ...) joined twice
    as `exact` (the provider's own row) and `any_provider` (blank provider): the exact row wins.
    Gives weekly_cost_gbp, cost_source, cost_effective_from and cost_illustrative (null when unpriced).
#}
{% macro unit_cost_columns(exact='exact', any_provider='any_provider') -%}
    coalesce({{ exact }}.weekly_cost_gbp, {{ any_provider }}.weekly_cost_gbp) as weekly_cost_gbp,
    case when {{ exact }}.weekly_cost_gbp is not null then {{ exact }}.source else {{ any_provider }}.source end as cost_source,
    case when {{ exact }}.weekly_cost_gbp is not null then {{ exact }}.effective_from else {{ any_provider }}.effective_from end as cost_effective_from,
    case when {{ exact }}.weekly_cost_gbp is not null then {{ exact }}.illustrative else {{ any_provider }}.illustrative end as cost_illustrative
{%- endmacro %}

{% macro unit_cost_joins(versions, placement_type, placement_provider, on_date, exact='exact', any_provider='any_provider') -%}
    left join {{ versions }} as {{ exact }}
        on {{ exact }}.placement_type = {{ placement_type }}
       and {{ exact }}.placement_provider = {{ placement_provider }}
       and {{ in_force_on(exact, on_date) }}
    left join {{ versions }} as {{ any_provider }}
        on {{ any_provider }}.placement_type = {{ placement_type }}
       and {{ any_provider }}.placement_provider is null
       and {{ in_force_on(any_provider, on_date) }}
{%- endmacro %}


{# Financial quarter (1-4, April-June is 1) of a date; the year is collection_year_start(). #}
{% macro financial_quarter(date_expression) -%}
    cast(floor(mod(cast(extract(month from {{ date_expression }}) as integer) + 8, 12) / 3) + 1 as integer)
{%- endmacro %}

{# The label every cost figure carries while any unit cost behind it is a placeholder. #}
{% macro illustrative_label() -%}
    'ILLUSTRATIVE: placeholder unit costs shipped with the project, not the LA''s figures'
{%- endmacro %}


{#
    The care plans as plans rather than rows: consecutive rows of a child with the same code are one
    plan, and a change of code (LTRELFR to LTFOST18) is a new one; plan_began is where the plan's run
    of rows begins (docs/measures.md#spg-cohorts, cohort 3). A relation with every care plan column,
    plan_run and plan_began. Cohort 3 and the drift watchlist read plans the same way through this.
#}
{% macro care_plan_runs() -%}
    {#- In the plans' order a run begins at its first row, so the latest beginning so far is where the
        current run began: one window, not a second sort by run. -#}
    select
        plans.*,
        sum(case when plans.permanence_plan is distinct from plans.previous_plan then 1 else 0 end) over w as plan_run,
        max(case when plans.permanence_plan is distinct from plans.previous_plan then plans.care_plan_start_date end)
            over w as plan_began
    from (
            select
                *,
                lag(permanence_plan) over (
                    partition by la_code, child_id order by care_plan_start_date, source_row
                ) as previous_plan
            from {{ ref('stg_extras__cla_care_plan') }}
        ) as plans
    window w as (
        partition by plans.la_code, plans.child_id order by plans.care_plan_start_date, plans.source_row
        rows between unbounded preceding and current row
    )
{%- endmacro %}
