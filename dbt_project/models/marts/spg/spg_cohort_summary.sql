-- Children per SPG cohort per LA on D and on each of the var('history_months') month ends
-- before it: all six cohorts on every date, 0 where none (for trend lines).
-- complete: for a cohort "for longer than N months" (2, 4, 5, 6), false unless the coverage start
-- C + N months is before the date: a span seen to start at or after C may truly have started
-- earlier (before C), so a child past the threshold can be missed. Cohorts 1 and 3 (no duration)
-- are complete on any date, but need the CMS extract that names them: with no care plan extract
-- (cohort 3) or no no-PR extract (cohort 1) the count is null and 'not available', never 0.
{%- set po_months = var('placement_order_months') %}
{%- set long_months = var('long_placement_months') %}
with dates as (

    select la_code, reporting_date, is_current, coverage_start from {{ ref('int_reporting_dates__history') }}

),

extracts as (

    select la_code, 3 as cohort_id, 'not available: no care plan extract' as missing
    from (select distinct la_code from {{ ref('int_la__reporting_dates') }}) as las
    where la_code not in (select la_code from {{ ref('stg_extras__cla_care_plan') }})
    union all
    select la_code, 1, 'not available: no extract of children with no one holding PR'
    from (select distinct la_code from {{ ref('int_la__reporting_dates') }}) as las
    where la_code not in (select la_code from {{ ref('stg_extras__no_parental_responsibility') }})

),

counts as (

    select la_code, reporting_date, cohort_id, count(distinct child_id) as children
    from {{ ref('int_cohorts__membership') }}
    group by la_code, reporting_date, cohort_id

)

select
    cast(dates.la_code as varchar) as la_code,
    cast(dates.reporting_date as date) as as_at_date,
    cast(cohorts.cohort_id as integer) as cohort_id,
    cast(cohorts.cohort_name as varchar) as cohort_name,
    cast(case when extracts.missing is null then coalesce(counts.children, 0) end as bigint) as children,
    cast(dates.is_current as boolean) as is_current,
    cast(coalesce(extracts.missing, coverage.reason) is null as boolean) as complete,
    cast(coalesce(extracts.missing, coverage.reason) as varchar) as incomplete_reason
from dates
cross join ({{ spg_cohorts_relation() }}) as cohorts
cross join lateral (
    select case
        when dates.coverage_start is null or cohorts.cohort_id in (1, 3) then null
        when cohorts.cohort_id = 2
         and not {{ longer_than_months('dates.coverage_start', po_months, 'dates.reporting_date') }}
            then 'placement order months may reach back past the coverage start'
        when cohorts.cohort_id in (4, 5, 6)
         and not {{ longer_than_months('dates.coverage_start', long_months, 'dates.reporting_date') }}
            then 'placement months may reach back past the coverage start'
    end as reason
) as coverage
left join counts
    on counts.la_code = dates.la_code
   and counts.reporting_date = dates.reporting_date
   and counts.cohort_id = cohorts.cohort_id
left join extracts
    on extracts.la_code = dates.la_code
   and extracts.cohort_id = cohorts.cohort_id
