
    select la_code, child_id, care_plan_start_date, count(*) as n_records
    from "permanence"."staging"."stg_extras__cla_care_plan"
    group by la_code, child_id, care_plan_start_date
    having count(*) > 1
