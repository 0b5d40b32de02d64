-- Episodes: renames and casts only; rows of each LA's current load.
with source as (

    {{ current_load_rows(source('ssda903', 'episodes')) }}

),

renamed as (

    select
        cast(child as {{ dbt.type_string() }}) as child_id,
        cast(decom as date) as episode_start_date,
        cast(rne as {{ dbt.type_string() }}) as reason_new_episode,
        cast(ls as {{ dbt.type_string() }}) as legal_status,
        cast(cin as {{ dbt.type_string() }}) as category_of_need,
        cast(place as {{ dbt.type_string() }}) as placement_type,
        cast(place_provider as {{ dbt.type_string() }}) as placement_provider,
        cast(dec as date) as episode_end_date,
        cast(rec as {{ dbt.type_string() }}) as reason_episode_ceased,
        cast(reason_place_change as {{ dbt.type_string() }}) as reason_placement_change,
        cast(home_post as {{ dbt.type_string() }}) as home_postcode_district,
        cast(pl_post as {{ dbt.type_string() }}) as placement_postcode_district,
        cast(urn as {{ dbt.type_string() }}) as provider_urn,
        cast(la_code as {{ dbt.type_string() }}) as la_code,
        cast(load_id as {{ dbt.type_string() }}) as load_id,
        cast(extract_date as date) as extract_date,
        cast(source_row as {{ dbt.type_int() }}) as source_row
    from source

)

select * from renamed
