-- PlacedAdoption: renames and casts only; rows of each LA's current load.
with source as (

    select raw_rows.*
    from "permanence"."raw"."placed_adoption" as raw_rows
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
        cast(date_placed as date) as adoption_decision_date,
        cast(date_placed_ceased as date) as adoption_decision_ceased_date,
        cast(reason_placed_ceased as TEXT) as reason_adoption_decision_ceased,
        cast(la_code as TEXT) as la_code,
        cast(load_id as TEXT) as load_id,
        cast(extract_date as date) as extract_date,
        cast(source_row as integer) as source_row
    from source

)

select * from renamed