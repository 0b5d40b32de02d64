-- PlacedAdoption: renames and casts only; rows of each LA's current load.
with source as (

    {{ current_load_rows(source('ssda903', 'placed_adoption')) }}

),

renamed as (

    select
        cast(child as {{ dbt.type_string() }}) as child_id,
        cast(dob as date) as birth_month,
        cast(date_placed as date) as adoption_decision_date,
        cast(date_placed_ceased as date) as adoption_decision_ceased_date,
        cast(reason_placed_ceased as {{ dbt.type_string() }}) as reason_adoption_decision_ceased,
        cast(la_code as {{ dbt.type_string() }}) as la_code,
        cast(load_id as {{ dbt.type_string() }}) as load_id,
        cast(extract_date as date) as extract_date,
        cast(source_row as {{ dbt.type_int() }}) as source_row
    from source

)

select * from renamed
