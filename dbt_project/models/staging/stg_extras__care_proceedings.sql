-- ssd_care_proceedings: renames and casts only; rows of each LA's current load.
with source as (

    {{ current_load_rows(source('extras', 'care_proceedings')) }}

),

renamed as (

    select
        cast(cpro_person_id as {{ dbt.type_string() }}) as child_id,
        cast(cpro_issue_date as date) as proceedings_issue_date,
        cast(cpro_final_order_date as date) as final_order_date,
        cast(cpro_order_type as {{ dbt.type_string() }}) as final_order_type,
        cast(la_code as {{ dbt.type_string() }}) as la_code,
        cast(load_id as {{ dbt.type_string() }}) as load_id,
        cast(extract_date as date) as extract_date,
        cast(source_row as {{ dbt.type_int() }}) as source_row
    from source

)

select * from renamed
