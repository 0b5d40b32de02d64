
    select la_code, proceedings_issue_date, count(*) as n_records
    from "permanence"."marts"."care_proceedings_open"
    group by la_code, proceedings_issue_date
    having count(*) > 1
