
    select la_code, child_id, legal_status_span_number, count(*) as n_records
    from "permanence"."intermediate"."int_legal_status_spans"
    group by la_code, child_id, legal_status_span_number
    having count(*) > 1
