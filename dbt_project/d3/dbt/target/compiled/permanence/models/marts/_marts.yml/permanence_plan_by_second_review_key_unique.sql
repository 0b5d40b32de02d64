
    select la_code, collection_year, count(*) as n_records
    from "permanence"."marts"."permanence_plan_by_second_review"
    group by la_code, collection_year
    having count(*) > 1
