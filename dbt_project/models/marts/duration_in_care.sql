-- Days in care at exit per LA and collection year (primer section 5): periods (not short breaks)
-- ending in the year; mean and median (percentile_cont 0.5) of period_end - period_start.
select
    cast(la_code as varchar) as la_code,
    cast({{ collection_year_label('end_year') }} as varchar) as collection_year,
    cast(count(*) as bigint) as periods_ended,
    cast(avg(days_in_care) as double precision) as mean_days_in_care,
    cast(percentile_cont(0.5) within group (order by days_in_care) as double precision) as median_days_in_care
from {{ ref('int_periods_of_care') }}
where not is_short_break
  and period_end is not null
  and end_year <= {{ collection_year_start('as_at_date') }}
group by la_code, end_year
