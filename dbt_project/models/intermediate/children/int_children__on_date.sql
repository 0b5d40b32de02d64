-- Children looked after on each reporting date (D and the month ends before it), with their
-- current episode and the starts of its period, placement and legal status span. Children whose
-- current episode is a short break (LS V3/V4) are left out (docs/measures.md#short-breaks-and-the-episode-in-question).
with dates as (

    select * from {{ ref('int_reporting_dates__history') }} where {{ la_needs_build() }}

),

episodes as (

    select * from {{ ref('int_episodes__sequenced') }} where {{ la_needs_build() }}

),

final as (

    select
        dates.la_code,
        dates.reporting_date,
        dates.is_current,
        episodes.child_id,
        episodes.episode_start_date,
        episodes.episode_end_date,
        episodes.reason_new_episode,
        episodes.legal_status,
        episodes.placement_type,
        episodes.placement_provider,
        episodes.period_number,
        episodes.placement_number,
        episodes.period_start,
        episodes.placement_start,
        episodes.legal_status_span_start
    from dates
    inner join episodes
        on episodes.la_code = dates.la_code
       and {{ looked_after_on('episodes.episode_start_date', 'episodes.episode_end_date', 'dates.reporting_date') }}
    where episodes.legal_status is null or episodes.legal_status not in ('V3', 'V4')

)

{{ select_with_build_columns('final') }}
