-- One row per legal status span (docs/measures.md#derived-structures): consecutive episodes of a period with the
-- same LS; starts at the first one's start date, ends at the last one's end date (null: open).
with episodes as (

    select * from {{ ref('int_episodes__sequenced') }} where {{ la_needs_build() }}

),

final as (

    select
        la_code,
        child_id,
        period_number,
        legal_status_span_number,
        min(legal_status) as legal_status,
        min(episode_start_date) as span_start,
        cast(case when max(case when episode_end_date is null then 1 else 0 end) = 1 then null
                  else max(episode_end_date) end as date) as span_end,
        cast(count(*) as integer) as episodes
    from episodes
    group by la_code, child_id, period_number, legal_status_span_number

)

{{ select_with_build_columns('final') }}
