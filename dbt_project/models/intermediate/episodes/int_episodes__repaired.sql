-- Episodes as known on D (int_episodes__as_at_date) after the repairs of docs/measures.md#repairs, in its
-- order (the public demand model stitches yearly returns the same way). Repairs only move an end
-- date or write REC X1; counted in int_episodes__repair_audit.
--   1. duplicate_start_dropped: the same child and DECOM twice: one row is kept, the later return's
--      (later extract_date), then a closed end before an open one, then the later source row.
--   2. duplicate_end_dropped: two closed episodes with the same DEC: the longer (earlier DECOM) is kept.
--   3. an episode that overlaps the next one (DEC after the next DECOM) or is left open although a
--      later one starts ends at the next DECOM:
--        open_ended_at_next_start     it was open: it continues into the next (REC X1);
--        overlap_ended_at_next_start  it was closed: it keeps its REC.
-- Steps 1 and 2 drop duplicates only; an overlap never drops a row, so a child looked after on D
-- stays looked after on D.
with episodes as (

    select * from {{ ref('int_episodes__as_at_date') }} where {{ la_needs_build() }}

),

same_start_ranked as (

    select
        *,
        row_number() over (
            partition by la_code, child_id, episode_start_date
            order by extract_date desc,
                     case when episode_end_date is null then 1 else 0 end,
                     source_row desc
        ) as start_rank
    from episodes

),

same_end_ranked as (

    select
        *,
        row_number() over (
            partition by la_code, child_id, episode_end_date order by episode_start_date
        ) as end_rank
    from same_start_ranked
    where start_rank = 1

),

deduplicated as (

    select * from same_end_ranked where episode_end_date is null or end_rank = 1

),

with_next as (

    select
        *,
        lead(episode_start_date) over (
            partition by la_code, child_id order by episode_start_date
        ) as next_start_date
    from deduplicated

),

classified as (

    select
        *,
        case
            when next_start_date is not null and episode_end_date is null then 'open_ended_at_next_start'
            when next_start_date is not null and episode_end_date > next_start_date then 'overlap_ended_at_next_start'
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
        cast(case when repair_type is not null then next_start_date else episode_end_date end as date) as episode_end_date,
        case when repair_type = 'open_ended_at_next_start' then 'X1' else reason_episode_ceased end as reason_episode_ceased,
        cast(repair_type as {{ dbt.type_string() }}) as repair_type,
        episode_end_date as original_episode_end_date,
        reason_episode_ceased as original_reason_episode_ceased,
        ended_after_as_at_date,
        load_id,
        extract_date,
        source_row
    from classified

)

{{ select_with_build_columns('final') }}
