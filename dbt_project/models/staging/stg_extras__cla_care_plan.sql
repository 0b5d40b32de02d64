-- ssd_cla_care_plan: renames and casts only; rows of each LA's current load.
with source as (

    {{ current_load_rows(source('extras', 'cla_care_plan')) }}

),

renamed as (

    select
        cast(lacp_person_id as {{ dbt.type_string() }}) as child_id,
        cast(lacp_cla_care_plan_start_date as date) as care_plan_start_date,
        cast(lacp_cla_care_plan_end_date as date) as care_plan_end_date,
        cast(lacp_permanence_plan_code as {{ dbt.type_string() }}) as permanence_plan,
        cast(la_code as {{ dbt.type_string() }}) as la_code,
        cast(load_id as {{ dbt.type_string() }}) as load_id,
        cast(extract_date as date) as extract_date,
        cast(source_row as {{ dbt.type_int() }}) as source_row
    from source

)

select * from renamed
