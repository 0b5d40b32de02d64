-- Header: renames and casts only; rows of each LA's current load.
with source as (

    {{ current_load_rows(source('ssda903', 'header')) }}

),

renamed as (

    select
        cast(child as {{ dbt.type_string() }}) as child_id,
        cast(sex as {{ dbt.type_string() }}) as sex,
        cast(dob as date) as birth_month,
        cast(ethnic as {{ dbt.type_string() }}) as ethnicity,
        cast(mother as {{ dbt.type_string() }}) as is_mother,
        cast(mc_dob as date) as mothers_child_birth_month,
        cast(la_code as {{ dbt.type_string() }}) as la_code,
        cast(load_id as {{ dbt.type_string() }}) as load_id,
        cast(extract_date as date) as extract_date,
        cast(source_row as {{ dbt.type_int() }}) as source_row
    from source

)

select * from renamed
