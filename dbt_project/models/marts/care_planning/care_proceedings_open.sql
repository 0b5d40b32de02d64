-- Care proceedings still open on D past 26 weeks (more than 182 days since issue; docs/measures.md#care-proceedings),
-- one row per set of proceedings (not per child): the list the SPG and legal teams chase. An
-- interim order does not end a set.
select
    cast(la_code as varchar) as la_code,
    cast(as_at_date as date) as as_at_date,
    cast(proceedings_issue_date as date) as proceedings_issue_date,
    cast(children as bigint) as children,
    cast(days_to_final_order_or_d as integer) as days_open,
    cast(floor(days_to_final_order_or_d / 7.0) as integer) as weeks_open
from {{ ref('int_care_proceedings__sets') }}
where final_order_date is null
  and days_to_final_order_or_d > 182
