{#
    Helpers shared by the intermediate and marts layers (docs/measures.md).
    Portable: DuckDB and PostgreSQL, through dbt's cross-database macros where dialects differ.
#}

{# The reporting date D: the `as_at_date` var when set, else the given expression (each LA's extract_date). #}
{% macro as_at_date_or(default_expression) -%}
    {%- if var('as_at_date', none) -%}
        cast('{{ var("as_at_date") }}' as date)
    {%- else -%}
        cast({{ default_expression }} as date)
    {%- endif -%}
{%- endmacro %}

{# Start year Y of the collection year (1 April Y .. 31 March Y+1) holding a date. #}
{% macro collection_year_start(date_expression) -%}
    cast(case when extract(month from {{ date_expression }}) >= 4
              then extract(year from {{ date_expression }})
              else extract(year from {{ date_expression }}) - 1 end as integer)
{%- endmacro %}

{# Label 'Y-YY' (e.g. '2023-24') of a collection year start (integer expression). #}
{% macro collection_year_label(start_year_expression) -%}
    cast(cast({{ start_year_expression }} as {{ dbt.type_string() }}) || '-'
         || lpad(cast(mod(cast({{ start_year_expression }} as integer) + 1, 100) as {{ dbt.type_string() }}), 2, '0')
         as varchar)
{%- endmacro %}

{# 31 March ending collection year Y (integer expression). #}
{% macro collection_year_end_date(start_year_expression) -%}
    cast({{ dbt.dateadd('day', -1, dbt.dateadd('year', start_year_expression ~ ' - 1999', "cast('2000-04-01' as date)")) }} as date)
{%- endmacro %}

{# 1 April starting collection year Y (integer expression). #}
{% macro collection_year_start_date(start_year_expression) -%}
    cast({{ dbt.dateadd('year', start_year_expression ~ ' - 2000', "cast('2000-04-01' as date)") }} as date)
{%- endmacro %}

{# Whole days from start to end (end - start). #}
{% macro days_between(start_expression, end_expression) -%}
    cast({{ dbt.datediff(start_expression, end_expression, 'day') }} as integer)
{%- endmacro %}

{#
    Whole calendar months from start to end: the largest n with start + n months <= end, where month
    addition clamps the day as in "longer than N months" (30 Jan + 1 month = 29 Feb 2024). So
    15 Jan -> 14 Feb is 0 months, 15 Jan -> 15 Feb is 1, and 31 Jan -> 28 Feb 2025 is 1 (the end
    of a short month completes the month). dbt.datediff('month') counts month boundaries instead.
#}
{% macro whole_months_between(start_expression, end_expression) -%}
    cast((extract(year from {{ end_expression }}) - extract(year from {{ start_expression }})) * 12
         + extract(month from {{ end_expression }}) - extract(month from {{ start_expression }})
         - case when extract(day from {{ end_expression }}) < extract(day from {{ start_expression }})
                 and cast({{ end_expression }} as date) < cast({{ dbt.last_day(end_expression, 'month') }} as date)
                then 1 else 0 end
         as integer)
{%- endmacro %}

{# Whole years of age on a date, from the month of birth (first of the month). #}
{% macro age_in_years(birth_month_expression, on_date_expression) -%}
    cast(floor({{ whole_months_between(birth_month_expression, on_date_expression) }} / 12.0) as integer)
{%- endmacro %}

{# "Longer than N months on D": start + N calendar months < D (month addition clamps the day). #}
{% macro longer_than_months(start_expression, months, on_date_expression) -%}
    (cast({{ dbt.dateadd('month', months, start_expression) }} as date) < {{ on_date_expression }})
{%- endmacro %}

{# Looked after on D: start <= D and (end is null or end > D). #}
{% macro looked_after_on(start_expression, end_expression, on_date_expression) -%}
    ({{ start_expression }} <= {{ on_date_expression }}
     and ({{ end_expression }} is null or {{ end_expression }} > {{ on_date_expression }}))
{%- endmacro %}

{# Exit route label from a period's reason ceased (docs/measures.md#exit-routes). Null while the period is open. #}
{% macro exit_route(reason_ceased_expression, period_end_expression) -%}
    case
        when {{ period_end_expression }} is null then null
        when {{ reason_ceased_expression }} in ('E11', 'E12') then 'Adopted'
        when {{ reason_ceased_expression }} in ('E45', 'E46', 'E47', 'E48') then 'Special guardianship order'
        when {{ reason_ceased_expression }} = 'E41' then 'Child arrangements order'
        when {{ reason_ceased_expression }} in ('E4A', 'E4B') then 'Returned home'
        when {{ reason_ceased_expression }} = 'E13' then 'Living with parents or relatives without PR'
        when {{ reason_ceased_expression }} in ('E5', 'E6', 'E17') then 'Independent living or stayed with carers at 18'
        when {{ reason_ceased_expression }} in ('E2', 'E3', 'E7', 'E8', 'E9', 'E14', 'E15', 'E16') then 'Other'
        else 'Not recorded'
    end
{%- endmacro %}

{# The SPG cohorts (docs/measures.md#spg-cohorts), as a relation with cohort_id and cohort_name: the one place
   the names are written; their month counts are the thresholds' vars, so a name never disagrees
   with the rule that fills the cohort. #}
{% macro spg_cohorts_relation() -%}
    {%- set po = var('placement_order_months') -%}
    {%- set long = var('long_placement_months') -%}
    select 1 as cohort_id, cast('No one holds parental responsibility' as varchar) as cohort_name
    union all select 2, 'Placement order over {{ po }} months'
    union all select 3, 'Long-term fostering plan, no match'
    union all select 4, 'Foster care over {{ long }} months'
    union all select 5, 'Placed with parents over {{ long }} months'
    union all select 6, 'External residential over {{ long }} months'
{%- endmacro %}

{# Integers 0 .. 999 as column `n` (portable number spine, no generate_series). #}
{% macro integer_spine() -%}
    select units.n + 10 * tens.n + 100 * hundreds.n as n
    from (select 0 as n union all select 1 union all select 2 union all select 3 union all select 4
          union all select 5 union all select 6 union all select 7 union all select 8 union all select 9) as units
    cross join (select 0 as n union all select 1 union all select 2 union all select 3 union all select 4
          union all select 5 union all select 6 union all select 7 union all select 8 union all select 9) as tens
    cross join (select 0 as n union all select 1 union all select 2 union all select 3 union all select 4
          union all select 5 union all select 6 union all select 7 union all select 8 union all select 9) as hundreds
{%- endmacro %}

{#
    Coverage (docs/measures.md#coverage): true when the extract holds the history a figure needs, from
    `needed_from` on, i.e. its coverage start C is null (whole history) or on or before that date.
#}
{% macro history_covered(needed_from_expression, coverage_start_expression) -%}
    ({{ coverage_start_expression }} is null or {{ coverage_start_expression }} <= {{ needed_from_expression }})
{%- endmacro %}

{# Partial year (docs/measures.md#collection-years-and-partial-years): collection year Y has not ended on D (its 31 March is after D). #}
{% macro is_partial_year(start_year_expression, as_at_expression) -%}
    ({{ collection_year_end_date(start_year_expression) }} > {{ as_at_expression }})
{%- endmacro %}

{#
    The date N working days (Monday to Friday) after a date; from a Saturday or Sunday, counted
    from the Friday before. Bank holidays are not known to the warehouse and count as working
    days, so a due date can fall a day or two early over a holiday.
#}
{% macro add_working_days(date_expression, working_days) -%}
    {%- set weeks, rest = (working_days | int) // 5, (working_days | int) % 5 -%}
    {%- set dow = 'extract(isodow from ' ~ date_expression ~ ')' -%}
    cast({{ dbt.dateadd('day',
        '(' ~ (weeks * 7 + rest) ~ ' + case when ' ~ dow ~ ' >= 6 then 5 - ' ~ dow ~ (' + 2' if rest else '')
        ~ ' when ' ~ dow ~ ' + ' ~ rest ~ ' > 5 then 2 else 0 end)',
        date_expression) }} as date)
{%- endmacro %}

{#
    The three coverage columns of a yearly count (docs/measures.md#coverage): complete (false for a
    collection year that begins before the coverage start C: its events before C are not in the
    extract), incomplete_reason, and partial (the year has not ended on D).
#}
{% macro yearly_coverage_columns(start_year_expression, coverage_start='coverage_start', as_at_date='as_at_date') -%}
    cast({{ history_covered(collection_year_start_date(start_year_expression), coverage_start) }} as boolean) as complete,
    cast(case when not {{ history_covered(collection_year_start_date(start_year_expression), coverage_start) }}
              then 'year begins before the coverage start' end as varchar) as incomplete_reason,
    cast({{ is_partial_year(start_year_expression, as_at_date) }} as boolean) as partial
{%- endmacro %}
