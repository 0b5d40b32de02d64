-- ssd_care_proceedings: renames and casts only; rows of each LA's current load.
with source as (

    select raw_rows.*
    from "permanence"."raw"."care_proceedings" as raw_rows
    where exists (
        select 1
        from "permanence"."raw"."current_load" as current_load
        where current_load.la_code = raw_rows.la_code
          and current_load.load_id = raw_rows.load_id
    )

),

renamed as (

    select
        cast(cpro_person_id as TEXT) as child_id,
        cast(cpro_issue_date as date) as proceedings_issue_date,
        cast(cpro_final_order_date as date) as final_order_date,
        cast(cpro_order_type as TEXT) as final_order_type,
        cast(la_code as TEXT) as la_code,
        cast(load_id as TEXT) as load_id,
        cast(extract_date as date) as extract_date,
        cast(source_row as integer) as source_row
    from source

)

select * from renamed