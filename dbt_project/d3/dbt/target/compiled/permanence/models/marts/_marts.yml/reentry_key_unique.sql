
    select la_code, collection_year, count(*) as n_records
    from "permanence"."marts"."reentry"
    group by la_code, collection_year
    having count(*) > 1
