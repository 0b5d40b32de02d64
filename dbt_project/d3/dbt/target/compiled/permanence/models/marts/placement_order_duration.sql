-- Children on a placement order (LS E1) on D: one row per child with an open E1 legal status
-- span, how long it has run and whether the child is placed with adopters (primer sections 2, 5).
-- complete: false when the E1 span is seen to start before the coverage start C: it may have
-- started earlier, so days and months are lower bounds and over_threshold may be false wrongly.
select
    cast(children.la_code as varchar) as la_code,
    cast(children.reporting_date as date) as as_at_date,
    cast(children.child_id as varchar) as child_id,
    cast(children.legal_status_span_start as date) as placement_order_span_start,
    cast(cast(
        (date_diff('day', children.legal_status_span_start::timestamp, children.reporting_date::timestamp ))
     as integer) as integer) as days_on_placement_order,
    cast(cast((extract(year from children.reporting_date) - extract(year from children.legal_status_span_start)) * 12
         + extract(month from children.reporting_date) - extract(month from children.legal_status_span_start)
         - case when extract(day from children.reporting_date) < extract(day from children.legal_status_span_start)
                 and cast(children.reporting_date as date) < cast(cast(
        

    (

    (date_trunc('month', children.reporting_date) + cast(1 as bigint) * interval 1 month) + cast(-1 as bigint) * interval 1 day)
        as date) as date)
                then 1 else 0 end
         as integer) as integer) as months_on_placement_order,
    cast(children.placement_type as varchar) as placement_type,
    cast(children.placement_type in ('A5', 'A6') as boolean) as placed_with_adopters,
    cast((cast(

    (children.legal_status_span_start + cast(9 as bigint) * interval 1 month) as date) < children.reporting_date) as boolean) as over_threshold,
    cast(not coalesce(children.legal_status_span_start < reporting.coverage_start, false) as boolean) as complete,
    cast(case when children.legal_status_span_start < reporting.coverage_start
              then 'placement order span seen to start before the coverage start: its length is a lower bound' end as varchar) as incomplete_reason
from "permanence"."intermediate"."int_children__on_date" as children
inner join "permanence"."intermediate"."int_la__reporting_dates" as reporting on reporting.la_code = children.la_code
where children.is_current
  and children.legal_status = 'E1'