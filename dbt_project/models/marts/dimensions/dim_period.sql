-- One row per quarter from April 1990 to March 2040: the calendar quarter (2024-Q4) and the
-- financial one (2024-25-Q3, April-June is Q1) are the same three months, as the quarterly report
-- reads them (permanence.report.parse_quarter). Partial: on the earliest reporting date D of the
-- current loads the year (or quarter) has not ended, so for some LA it is a part year; each
-- mart's own `partial` says for which. Null when nothing is loaded (no D to judge by).
with quarters as (

    select
        cast({{ dbt.dateadd('month', '3 * (generated_number - 1)', "cast('1990-04-01' as date)") }} as date)
            as quarter_start
    from ({{ dbt.generate_series(200) }}) as series

),

dated as (

    select
        quarter_start,
        cast({{ dbt.dateadd('day', -1, dbt.dateadd('month', 3, 'quarter_start')) }} as date) as quarter_end,
        cast(extract(year from quarter_start) as integer) as calendar_year,
        cast((extract(month from quarter_start) - 1) / 3 + 1 as integer) as calendar_quarter_number,
        {{ collection_year_start('quarter_start') }} as start_year
    from quarters

),

reporting as (

    select min(as_at_date) as earliest_as_at_date, max(as_at_date) as latest_as_at_date
    from {{ ref('int_la__reporting_dates') }}

)

select
    dated.quarter_start,
    dated.quarter_end,
    dated.calendar_year,
    dated.calendar_quarter_number,
    cast(cast(dated.calendar_year as varchar) || '-Q' || cast(dated.calendar_quarter_number as varchar) as varchar)
        as calendar_quarter,
    {{ collection_year_label('dated.start_year') }} as collection_year,
    {{ collection_year_start_date('dated.start_year') }} as collection_year_start,
    {{ collection_year_end_date('dated.start_year') }} as collection_year_end,
    cast(mod(dated.calendar_quarter_number + 2, 4) + 1 as integer) as financial_quarter_number,
    cast({{ collection_year_label('dated.start_year') }} || '-Q' || cast(mod(dated.calendar_quarter_number + 2, 4) + 1 as varchar)
         as varchar) as financial_quarter,
    cast(reporting.earliest_as_at_date as date) as earliest_as_at_date,
    cast(reporting.latest_as_at_date as date) as latest_as_at_date,
    cast(case when reporting.earliest_as_at_date is null then null
              else {{ collection_year_end_date('dated.start_year') }} > reporting.earliest_as_at_date end as boolean)
        as partial,
    cast(case when reporting.earliest_as_at_date is null then null
              else dated.quarter_end > reporting.earliest_as_at_date end as boolean) as quarter_partial
from dated
cross join reporting
