-- One row per placement at carer level (docs/measures.md#derived-structures): new at a period's first episode and
-- at each RNE P or B; episodes with RNE L, T, U continue it.
with episodes as (

    select * from {{ ref('int_episodes__sequenced') }} where {{ la_needs_build() }}

),

placements as (

    select
        la_code,
        child_id,
        period_number,
        placement_number,
        min(episode_start_date) as placement_start,
        count(*) as episodes,
        max(case when episode_end_date is null then 1 else 0 end) as has_open_episode,
        max(episode_end_date) as last_end_date
    from episodes
    group by la_code, child_id, period_number, placement_number

),

first_episodes as (

    select
        la_code, child_id, placement_number,
        reason_new_episode as first_reason_new_episode,
        placement_type as first_placement_type,
        placement_provider as first_placement_provider
    from episodes
    where episode_start_date = placement_start

),

final as (

    select
        placements.la_code,
        placements.child_id,
        placements.period_number,
        placements.placement_number,
        placements.placement_start,
        cast(case when placements.has_open_episode = 1 then null else placements.last_end_date end as date) as placement_end,
        first_episodes.first_reason_new_episode,
        first_episodes.first_placement_type,
        first_episodes.first_placement_provider,
        cast(coalesce(first_episodes.first_placement_type in ('T0', 'T1', 'T2', 'T3', 'T4'), false) as boolean) as is_temporary,
        lag(placements.placement_start) over (
            partition by placements.la_code, placements.child_id, placements.period_number
            order by placements.placement_start
        ) as previous_placement_start,
        cast(placements.episodes as integer) as episodes
    from placements
    inner join first_episodes
        on first_episodes.la_code = placements.la_code
       and first_episodes.child_id = placements.child_id
       and first_episodes.placement_number = placements.placement_number

)

{{ select_with_build_columns('final') }}
