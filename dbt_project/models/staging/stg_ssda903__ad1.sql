-- AD1: renames and casts only; rows of each LA's current load.
with source as (

    {{ current_load_rows(source('ssda903', 'ad1')) }}

),

renamed as (

    select
        cast(child as {{ dbt.type_string() }}) as child_id,
        cast(dob as date) as birth_month,
        cast(date_int as date) as adoption_decision_date,
        cast(date_match as date) as adoption_match_date,
        cast(foster_care as {{ dbt.type_string() }}) as adopted_by_foster_carer,
        cast(nb_adoptr as {{ dbt.type_string() }}) as number_of_adopters,
        cast(sex_adoptr as {{ dbt.type_string() }}) as adopters_sex,
        cast(ls_adoptr as {{ dbt.type_string() }}) as adopters_legal_status,
        cast(la_code as {{ dbt.type_string() }}) as la_code,
        cast(load_id as {{ dbt.type_string() }}) as load_id,
        cast(extract_date as date) as extract_date,
        cast(source_row as {{ dbt.type_int() }}) as source_row
    from source

)

select * from renamed
