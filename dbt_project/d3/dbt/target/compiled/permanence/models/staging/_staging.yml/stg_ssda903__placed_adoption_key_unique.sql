
    select la_code, child_id, adoption_decision_date, extract_date, count(*) as n_records
    from "permanence"."staging"."stg_ssda903__placed_adoption"
    group by la_code, child_id, adoption_decision_date, extract_date
    having count(*) > 1
