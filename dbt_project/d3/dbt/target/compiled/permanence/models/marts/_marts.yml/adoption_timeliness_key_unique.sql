
    select la_code, child_id, date_entered_care, count(*) as n_records
    from "permanence"."marts"."adoption_timeliness"
    group by la_code, child_id, date_entered_care
    having count(*) > 1
