-- Children leaving care per LA, collection year and exit route (docs/measures.md#exit-routes): each child
-- counted once a year, by their last period (latest end) that ended in the year. Periods whose
-- last episode is a short break (LS V3/V4) are left out. Years up to the collection year of D.
-- complete: false for a year that begins before the coverage start C (exits before C are missing).
-- partial: the year has not ended on D.
with exits as (

    select * from {{ ref('int_exits__last_period_by_year') }}

),

counted as (

    select
        la_code,
        end_year,
        exit_route,
        count(*) as children,
        max(coverage_start) as coverage_start,
        max(as_at_date) as as_at_date
    from exits
    group by la_code, end_year, exit_route

)

select
    cast(la_code as varchar) as la_code,
    cast({{ collection_year_label('end_year') }} as varchar) as collection_year,
    cast(exit_route as varchar) as exit_route,
    cast(children as bigint) as children,
    {{ yearly_coverage_columns('end_year') }}
from counted
