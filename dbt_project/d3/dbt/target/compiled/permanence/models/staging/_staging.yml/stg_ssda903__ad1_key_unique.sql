
    select la_code, child_id, extract_date, count(*) as n_records
    from "permanence"."staging"."stg_ssda903__ad1"
    group by la_code, child_id, extract_date
    having count(*) > 1
