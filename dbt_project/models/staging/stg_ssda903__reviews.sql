-- Reviews: renames and casts only; rows of each LA's current load.
with source as (

    {{ current_load_rows(source('ssda903', 'reviews')) }}

),

renamed as (

    select
        cast(child as {{ dbt.type_string() }}) as child_id,
        cast(dob as date) as birth_month,
        cast(review as date) as review_date,
        cast(review_code as {{ dbt.type_string() }}) as review_participation,
        cast(la_code as {{ dbt.type_string() }}) as la_code,
        cast(load_id as {{ dbt.type_string() }}) as load_id,
        cast(extract_date as date) as extract_date,
        cast(source_row as {{ dbt.type_int() }}) as source_row
    from source

)

select * from renamed
