
    select la_code, child_id, adm_decision_date, count(*) as n_records
    from "permanence"."staging"."stg_extras__permanence"
    group by la_code, child_id, adm_decision_date
    having count(*) > 1
