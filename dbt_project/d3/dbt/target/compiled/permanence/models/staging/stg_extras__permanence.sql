-- ssd_permanence: renames and casts only; rows of each LA's current load.
with source as (

    select raw_rows.*
    from "permanence"."raw"."permanence" as raw_rows
    where exists (
        select 1
        from "permanence"."raw"."current_load" as current_load
        where current_load.la_code = raw_rows.la_code
          and current_load.load_id = raw_rows.load_id
    )

),

renamed as (

    select
        cast(perm_person_id as TEXT) as child_id,
        cast(perm_adm_decision_date as date) as adm_decision_date,
        cast(perm_placement_order_date as date) as placement_order_date,
        cast(perm_matched_date as date) as matched_date,
        cast(perm_placed_for_adoption_date as date) as placed_for_adoption_date,
        cast(perm_permanence_order_date as date) as permanence_order_date,
        cast(perm_permanence_order_type as TEXT) as permanence_order_type,
        cast(perm_decision_reversed_date as date) as decision_reversed_date,
        cast(perm_decision_reversed_reason as TEXT) as decision_reversed_reason,
        cast(la_code as TEXT) as la_code,
        cast(load_id as TEXT) as load_id,
        cast(extract_date as date) as extract_date,
        cast(source_row as integer) as source_row
    from source

)

select * from renamed