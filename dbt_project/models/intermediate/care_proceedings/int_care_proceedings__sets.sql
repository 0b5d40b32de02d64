-- Care proceedings as sets (docs/measures.md#care-proceedings): one row per LA and application, as known on D. A
-- set is one application: the children in it share the issue date and, once it ends, the final
-- order date (the extract has no proceedings id). An interim order (C1) is not a final order: the
-- set stays open. Outcome: 'order' (a final order: C2, SO, E1, SGO, CAO), 'no order', 'withdrawn',
-- or 'not recorded' (a final date with no order type); null while open on D.
with reporting as (

    select * from {{ ref('int_la__reporting_dates') }}

),

rows_on_d as (

    select
        proceedings.la_code,
        proceedings.child_id,
        proceedings.proceedings_issue_date,
        case when proceedings.final_order_date <= reporting.as_at_date
                  and coalesce(proceedings.final_order_type, '') <> 'C1'
             then proceedings.final_order_date end as final_order_date,
        case when proceedings.final_order_date <= reporting.as_at_date
                  and coalesce(proceedings.final_order_type, '') <> 'C1'
             then proceedings.final_order_type end as final_order_type,
        reporting.as_at_date,
        reporting.coverage_start
    from {{ ref('stg_extras__care_proceedings') }} as proceedings
    inner join reporting on reporting.la_code = proceedings.la_code
    where proceedings.proceedings_issue_date <= reporting.as_at_date

)

select
    la_code,
    proceedings_issue_date,
    final_order_date,
    case
        when final_order_date is null then null
        -- a set ends with an order when any child in it got one
        when max(case when final_order_type not in ('WITHDRAWN', 'NOORDER') then 1 else 0 end) = 1 then 'order'
        when max(case when final_order_type = 'NOORDER' then 1 else 0 end) = 1 then 'no order'
        when max(case when final_order_type = 'WITHDRAWN' then 1 else 0 end) = 1 then 'withdrawn'
        else 'not recorded'
    end as outcome,
    count(distinct child_id) as children,
    {{ days_between('proceedings_issue_date', 'coalesce(final_order_date, max(as_at_date))') }} as days_to_final_order_or_d,
    max(as_at_date) as as_at_date,
    max(coverage_start) as coverage_start
from rows_on_d
group by la_code, proceedings_issue_date, final_order_date
