-- AD1: renames and casts only; rows of each LA's current load.
with source as (

    select raw_rows.*
    from "permanence"."raw"."ad1" as raw_rows
    where exists (
        select 1
        from "permanence"."raw"."current_load" as current_load
        where current_load.la_code = raw_rows.la_code
          and current_load.load_id = raw_rows.load_id
    )

),

renamed as (

    select
        cast(child as TEXT) as child_id,
        cast(dob as date) as birth_month,
        cast(date_int as date) as adoption_decision_date,
        cast(date_match as date) as adoption_match_date,
        cast(foster_care as TEXT) as adopted_by_foster_carer,
        cast(nb_adoptr as TEXT) as number_of_adopters,
        cast(sex_adoptr as TEXT) as adopters_sex,
        cast(ls_adoptr as TEXT) as adopters_legal_status,
        cast(la_code as TEXT) as la_code,
        cast(load_id as TEXT) as load_id,
        cast(extract_date as date) as extract_date,
        cast(source_row as integer) as source_row
    from source

)

select * from renamed