
    select la_code, child_id, proceedings_issue_date, count(*) as n_records
    from "permanence"."staging"."stg_extras__care_proceedings"
    group by la_code, child_id, proceedings_issue_date
    having count(*) > 1
