-- Children joining and leaving each SPG cohort per LA and month, by reason (issue 17 point 2): the
-- counts of spg_cohort_movement_children. Only movements that happened have a row (none: no row);
-- a cohort the LA's extracts cannot count on the month's end (spg_cohort_summary children null, e.g.
-- no care plan extract for cohort 3) has one row with movement 'not available' and a null count,
-- never 0. complete: false when the cohort count on either end of the month is incomplete (a
-- "longer than N months" rule reaching back past the coverage start), as spg_cohort_summary says.
with moves as (

    select
        la_code, as_at_date, from_date, to_date, cohort_id, cohort_name, movement, reason,
        count(distinct child_id) as children
    from {{ ref('spg_cohort_movement_children') }}
    group by la_code, as_at_date, from_date, to_date, cohort_id, cohort_name, movement, reason

),

summary as (

    select la_code, as_at_date as on_date, cohort_id, cohort_name, children, complete, incomplete_reason
    from {{ ref('spg_cohort_summary') }}

),

months as (

    select
        la_code,
        max(on_date) over (partition by la_code) as as_at_date,
        lag(on_date) over (partition by la_code, cohort_id order by on_date) as from_date,
        on_date as to_date,
        cohort_id,
        cohort_name,
        children,
        complete,
        incomplete_reason,
        lag(complete) over (partition by la_code, cohort_id order by on_date) as from_complete,
        lag(incomplete_reason) over (partition by la_code, cohort_id order by on_date) as from_incomplete_reason
    from summary

),

unavailable as (

    select la_code, as_at_date, from_date, to_date, cohort_id, cohort_name,
           cast('not available' as varchar) as movement, incomplete_reason as reason, cast(null as bigint) as children
    from months
    where from_date is not null and children is null

),

rows_out as (

    select * from moves
    union all
    select * from unavailable

)

select
    cast(rows_out.la_code as varchar) as la_code,
    cast(rows_out.as_at_date as date) as as_at_date,
    cast(rows_out.from_date as date) as from_date,
    cast(rows_out.to_date as date) as to_date,
    {{ collection_year_label(collection_year_start('rows_out.to_date')) }} as financial_year,
    {{ financial_quarter('rows_out.to_date') }} as financial_quarter,
    cast(rows_out.cohort_id as integer) as cohort_id,
    cast(rows_out.cohort_name as varchar) as cohort_name,
    cast(rows_out.movement as varchar) as movement,
    cast(rows_out.reason as varchar) as reason,
    cast(rows_out.children as bigint) as children,
    cast(coalesce(months.complete, true) and coalesce(months.from_complete, true) as boolean) as complete,
    cast(case when rows_out.movement <> 'not available'
              then coalesce(months.from_incomplete_reason, months.incomplete_reason) end as varchar) as incomplete_reason
from rows_out
left join months
    on months.la_code = rows_out.la_code
   and months.to_date = rows_out.to_date
   and months.cohort_id = rows_out.cohort_id
