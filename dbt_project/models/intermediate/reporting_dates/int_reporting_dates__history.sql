-- Per LA: the reporting date D (is_current) and the var('history_months') month ends before D,
-- for trend lines.
with reporting as (

    select * from {{ ref('int_la__reporting_dates') }}

),

spine as (

    {{ integer_spine() }}

)

select
    reporting.la_code,
    reporting.as_at_date,
    cast(case
        when spine.n = 0 then reporting.as_at_date
        else {{ dbt.dateadd('day', -1, dbt.dateadd('month', '1 - spine.n', dbt.date_trunc('month', 'reporting.as_at_date'))) }}
    end as date) as reporting_date,
    cast(spine.n = 0 as boolean) as is_current,
    reporting.coverage_start
from reporting
cross join spine
where spine.n <= {{ var('history_months') }}
