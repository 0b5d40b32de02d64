-- Children per SPG cohort per LA on D and on each of the var('history_months') month ends
-- before it: all six cohorts on every date, 0 where none (for trend lines).
with dates as (

    select la_code, reporting_date, is_current from {{ ref('int_reporting_dates__history') }}

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
    cast(coalesce(counts.children, 0) as bigint) as children,
    cast(dates.is_current as boolean) as is_current
from dates
cross join ({{ spg_cohorts_relation() }}) as cohorts
left join counts
    on counts.la_code = dates.la_code
   and counts.reporting_date = dates.reporting_date
   and counts.cohort_id = cohorts.cohort_id
