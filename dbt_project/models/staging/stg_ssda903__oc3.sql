-- OC3: renames and casts only; rows of each LA's current load.
with source as (

    {{ current_load_rows(source('ssda903', 'oc3')) }}

),

renamed as (

    select
        cast(child as {{ dbt.type_string() }}) as child_id,
        cast(dob as date) as birth_month,
        cast(in_touch as {{ dbt.type_string() }}) as in_touch,
        cast(activ as {{ dbt.type_string() }}) as main_activity,
        cast(accom as {{ dbt.type_string() }}) as accommodation,
        cast(la_code as {{ dbt.type_string() }}) as la_code,
        cast(load_id as {{ dbt.type_string() }}) as load_id,
        cast(extract_date as date) as extract_date,
        cast(source_row as {{ dbt.type_int() }}) as source_row
    from source

)

select * from renamed
