-- Episodes: renames and casts only; rows of each LA's current load.
with source as (

    select raw_rows.*
    from "permanence"."raw"."episodes" as raw_rows
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
        cast(decom as date) as episode_start_date,
        cast(rne as TEXT) as reason_new_episode,
        cast(ls as TEXT) as legal_status,
        cast(cin as TEXT) as category_of_need,
        cast(place as TEXT) as placement_type,
        cast(place_provider as TEXT) as placement_provider,
        cast(dec as date) as episode_end_date,
        cast(rec as TEXT) as reason_episode_ceased,
        cast(reason_place_change as TEXT) as reason_placement_change,
        cast(home_post as TEXT) as home_postcode_district,
        cast(pl_post as TEXT) as placement_postcode_district,
        cast(urn as TEXT) as provider_urn,
        cast(la_code as TEXT) as la_code,
        cast(load_id as TEXT) as load_id,
        cast(extract_date as date) as extract_date,
        cast(source_row as integer) as source_row
    from source

)

select * from renamed