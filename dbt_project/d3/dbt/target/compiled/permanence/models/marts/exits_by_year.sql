-- Children leaving care per LA, collection year and exit route (primer section 5): each child
-- counted once a year, by their last period (latest end) that ended in the year. Periods whose
-- last episode is a short break (LS V3/V4) are left out. Years up to the collection year of D.
-- complete: false for a year that begins before the coverage start C (exits before C are missing).
-- partial: the year has not ended on D.
with exits as (

    select * from "permanence"."intermediate"."int_exits__last_period_by_year"

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
    cast(cast(cast(end_year as TEXT) || '-'
         || lpad(cast(mod(cast(end_year as integer) + 1, 100) as TEXT), 2, '0')
         as varchar) as varchar) as collection_year,
    cast(exit_route as varchar) as exit_route,
    cast(children as bigint) as children,
    cast((coverage_start is null or coverage_start <= cast(

    (cast('2000-04-01' as date) + cast(end_year - 2000 as bigint) * interval 1 year) as date)) as boolean) as complete,
    cast(case when not (coverage_start is null or coverage_start <= cast(

    (cast('2000-04-01' as date) + cast(end_year - 2000 as bigint) * interval 1 year) as date))
              then 'year begins before the coverage start' end as varchar) as incomplete_reason,
    cast((cast(

    (

    (cast('2000-04-01' as date) + cast(end_year - 1999 as bigint) * interval 1 year) + cast(-1 as bigint) * interval 1 day) as date) > as_at_date) as boolean) as partial
from counted