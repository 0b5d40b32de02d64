-- ssd_permanence: renames and casts only; rows of each LA's current load.
with source as (

    {{ current_load_rows(source('extras', 'permanence')) }}

),

renamed as (

    select
        cast(perm_person_id as {{ dbt.type_string() }}) as child_id,
        cast(perm_adm_decision_date as date) as adm_decision_date,
        cast(perm_placement_order_date as date) as placement_order_date,
        cast(perm_matched_date as date) as matched_date,
        cast(perm_placed_for_adoption_date as date) as placed_for_adoption_date,
        cast(perm_permanence_order_date as date) as permanence_order_date,
        cast(perm_permanence_order_type as {{ dbt.type_string() }}) as permanence_order_type,
        cast(perm_decision_reversed_date as date) as decision_reversed_date,
        cast(perm_decision_reversed_reason as {{ dbt.type_string() }}) as decision_reversed_reason,
        cast(la_code as {{ dbt.type_string() }}) as la_code,
        cast(load_id as {{ dbt.type_string() }}) as load_id,
        cast(extract_date as date) as extract_date,
        cast(source_row as {{ dbt.type_int() }}) as source_row
    from source

)

select * from renamed
