-- Episodes of each LA's current load after explicit, audited repairs (counted in
-- int_episodes__repair_audit). Repairs only move dates or write DfE codes (X1):
--   duplicate_dropped            same child and start date twice: the last source row is kept
--   end_before_start             end date before start date: end set to the start date
--   open_closed_by_next_episode  an open episode followed by a later one: ended at the next start;
--                                REC set to X1 when the next episode continues care (RNE not S),
--                                else left blank (the period ends 'Not recorded')
--   overlap_end_clamped          end date after the next episode's start: end moved to that start
with ranked as (

    select
        *,
        row_number() over (
            partition by la_code, child_id, episode_start_date order by source_row desc
        ) as duplicate_rank
    from {{ ref('stg_ssda903__episodes') }}
    where {{ la_needs_build() }}

),

deduplicated as (

    select * from ranked where duplicate_rank = 1

),

with_next as (

    select
        *,
        lead(episode_start_date) over (
            partition by la_code, child_id order by episode_start_date
        ) as next_start_date,
        lead(reason_new_episode) over (
            partition by la_code, child_id order by episode_start_date
        ) as next_reason_new_episode
    from deduplicated

),

classified as (

    select
        *,
        case
            when episode_end_date is not null and episode_end_date < episode_start_date then 'end_before_start'
            when next_start_date is not null and episode_end_date is null then 'open_closed_by_next_episode'
            when next_start_date is not null and episode_end_date > next_start_date then 'overlap_end_clamped'
        end as repair_type
    from with_next

),

final as (

    select
        la_code,
        child_id,
        episode_start_date,
        reason_new_episode,
        legal_status,
        category_of_need,
        placement_type,
        placement_provider,
        cast(case
            when repair_type = 'end_before_start' then episode_start_date
            when repair_type in ('open_closed_by_next_episode', 'overlap_end_clamped') then next_start_date
            else episode_end_date
        end as date) as episode_end_date,
        case
            when repair_type = 'open_closed_by_next_episode' and next_reason_new_episode <> 'S' then 'X1'
            else reason_episode_ceased
        end as reason_episode_ceased,
        repair_type,
        episode_end_date as original_episode_end_date,
        reason_episode_ceased as original_reason_episode_ceased,
        load_id,
        extract_date,
        source_row
    from classified

)

{{ select_with_build_columns('final') }}
