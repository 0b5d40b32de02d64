
    select la_code, child_id, missing_start_date, extract_date, count(*) as n_records
    from "permanence"."staging"."stg_ssda903__missing"
    group by la_code, child_id, missing_start_date, extract_date
    having count(*) > 1
