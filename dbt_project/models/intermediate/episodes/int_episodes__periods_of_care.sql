-- One row per period of care (docs/measures.md#derived-structures), periods starting on or before D.
-- Short breaks by the episode in question (docs/measures.md#short-breaks-and-the-episode-in-question): starts_on_short_break (first
-- episode LS V3/V4: left out of starts and re-entries), ends_on_short_break (last episode: left
-- out of exits); is_short_break when every episode is one.
-- period_start_unknown: the period's true start is unknown (docs/measures.md#coverage): the
-- extract has a coverage start C and the first episode seen did not start a period (RNE not S),
-- so earlier episodes are missing (before C) or the chain is truncated (at/after C).
-- chain_hole: an episode of the period has a hole the repairs cannot close (int_episodes__sequenced:
-- a continuation missing, a period starting mid-chain), so its start, end or exit route may be wrong
-- and the child's figures are incomplete; it also makes the period's start unknown.
with episodes as (

    select * from {{ ref('int_episodes__sequenced') }} where {{ la_needs_build() }}

),

reporting as (

    select * from {{ ref('int_la__reporting_dates') }}

),

periods as (

    select
        la_code,
        child_id,
        period_number,
        min(episode_start_date) as period_start,
        count(*) as episodes,
        sum(case when legal_status in ('V3', 'V4') then 0 else 1 end) as episodes_not_short_break,
        sum(case when chain_hole is not null then 1 else 0 end) as episodes_with_chain_hole
    from episodes
    group by la_code, child_id, period_number

),

last_episodes as (

    select la_code, child_id, period_number, episode_end_date, reason_episode_ceased, legal_status
    from episodes
    where is_last_in_period

),

first_episodes as (

    select episodes.la_code, episodes.child_id, episodes.period_number, episodes.reason_new_episode, episodes.legal_status
    from episodes
    inner join periods
        on periods.la_code = episodes.la_code
       and periods.child_id = episodes.child_id
       and periods.period_number = episodes.period_number
       and periods.period_start = episodes.episode_start_date

),

final as (

    select
        periods.la_code,
        periods.child_id,
        periods.period_number,
        periods.period_start,
        last_episodes.episode_end_date as period_end,
        last_episodes.reason_episode_ceased as reason_ceased,
        {{ exit_route('last_episodes.reason_episode_ceased', 'last_episodes.episode_end_date') }} as exit_route,
        {{ days_between('periods.period_start', 'coalesce(last_episodes.episode_end_date, reporting.as_at_date)') }} as days_in_care,
        cast(periods.episodes as integer) as episodes,
        cast(periods.episodes_not_short_break = 0 as boolean) as is_short_break,
        cast(coalesce(first_episodes.legal_status in ('V3', 'V4'), false) as boolean) as starts_on_short_break,
        cast(coalesce(last_episodes.legal_status in ('V3', 'V4'), false) as boolean) as ends_on_short_break,
        reporting.coverage_start,
        cast(
            (reporting.coverage_start is not null and coalesce(first_episodes.reason_new_episode, '') <> 'S')
            or periods.episodes_with_chain_hole > 0
        as boolean) as period_start_unknown,
        cast(periods.episodes_with_chain_hole > 0 as boolean) as chain_hole,
        {{ collection_year_start('periods.period_start') }} as start_year,
        case when last_episodes.episode_end_date is not null
             then {{ collection_year_start('last_episodes.episode_end_date') }} end as end_year,
        reporting.as_at_date
    from periods
    inner join last_episodes
        on last_episodes.la_code = periods.la_code
       and last_episodes.child_id = periods.child_id
       and last_episodes.period_number = periods.period_number
    inner join first_episodes
        on first_episodes.la_code = periods.la_code
       and first_episodes.child_id = periods.child_id
       and first_episodes.period_number = periods.period_number
    inner join reporting
        on reporting.la_code = periods.la_code
    where periods.period_start <= reporting.as_at_date

)

{{ select_with_build_columns('final') }}
