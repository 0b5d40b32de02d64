-- ssd_cla_care_plan: renames and casts only; rows of each LA's current load.
with source as (

    select raw_rows.*
    from "permanence"."raw"."cla_care_plan" as raw_rows
    where exists (
        select 1
        from "permanence"."raw"."current_load" as current_load
        where current_load.la_code = raw_rows.la_code
          and current_load.load_id = raw_rows.load_id
    )

),

renamed as (

    select
        cast(lacp_person_id as TEXT) as child_id,
        cast(lacp_cla_care_plan_start_date as date) as care_plan_start_date,
        cast(lacp_cla_care_plan_end_date as date) as care_plan_end_date,
        cast(lacp_permanence_plan_code as TEXT) as permanence_plan,
        cast(la_code as TEXT) as la_code,
        cast(load_id as TEXT) as load_id,
        cast(extract_date as date) as extract_date,
        cast(source_row as integer) as source_row
    from source

)

select * from renamed