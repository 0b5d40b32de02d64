-- Children on a placement order (LS E1) on D: one row per child with an open E1 legal status
-- span, how long it has run and whether the child is placed with adopters (docs/measures.md#spg-cohorts).
-- complete: false when the E1 span is seen to start before the coverage start C: it may have
-- started earlier, so days and months are lower bounds and over_threshold may be false wrongly.
select
    cast(children.la_code as varchar) as la_code,
    cast(children.reporting_date as date) as as_at_date,
    cast(children.child_id as varchar) as child_id,
    cast(children.legal_status_span_start as date) as placement_order_span_start,
    cast({{ days_between('children.legal_status_span_start', 'children.reporting_date') }} as integer) as days_on_placement_order,
    cast({{ whole_months_between('children.legal_status_span_start', 'children.reporting_date') }} as integer) as months_on_placement_order,
    cast(children.placement_type as varchar) as placement_type,
    cast(children.placement_type in ('A5', 'A6') as boolean) as placed_with_adopters,
    cast({{ longer_than_months('children.legal_status_span_start', var('placement_order_months'), 'children.reporting_date') }} as boolean) as over_threshold,
    cast(not coalesce(children.legal_status_span_start < reporting.coverage_start, false) as boolean) as complete,
    cast(case when children.legal_status_span_start < reporting.coverage_start
              then 'placement order span seen to start before the coverage start: its length is a lower bound' end as varchar) as incomplete_reason
from {{ ref('int_children__on_date') }} as children
inner join {{ ref('int_la__reporting_dates') }} as reporting on reporting.la_code = children.la_code
where children.is_current
  and children.legal_status = 'E1'
