-- DoLo (deprivation of liberty orders, 903 from 2026-27): renames and casts only; rows of each LA's current load.
with source as (

    {{ current_load_rows(source('ssda903', 'dolo')) }}

),

renamed as (

    select
        cast(child as {{ dbt.type_string() }}) as child_id,
        cast(dob as date) as birth_month,
        cast(dolo_start as date) as dolo_start_date,
        cast(dolo_end as date) as dolo_end_date,
        cast(la_code as {{ dbt.type_string() }}) as la_code,
        cast(load_id as {{ dbt.type_string() }}) as load_id,
        cast(extract_date as date) as extract_date,
        cast(source_row as {{ dbt.type_int() }}) as source_row
    from source

)

select * from renamed
