-- SWEpisodes: renames and casts only; rows of each LA's current load.
with source as (

    {{ current_load_rows(source('ssda903', 'social_worker_episodes')) }}

),

renamed as (

    select
        cast(child as {{ dbt.type_string() }}) as child_id,
        cast(sw_id as {{ dbt.type_string() }}) as social_worker_id,
        cast(sw_decom as date) as sw_episode_start_date,
        cast(sw_dec as date) as sw_episode_end_date,
        cast(sw_reason as {{ dbt.type_string() }}) as reason_social_worker_change,
        cast(la_code as {{ dbt.type_string() }}) as la_code,
        cast(load_id as {{ dbt.type_string() }}) as load_id,
        cast(extract_date as date) as extract_date,
        cast(source_row as {{ dbt.type_int() }}) as source_row
    from source

)

select * from renamed
