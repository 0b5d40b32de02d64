-- One row per period of care (primer section 4), periods starting on or before D.
-- Short breaks by the episode in question (primer section 5): starts_on_short_break (first
-- episode LS V3/V4: left out of starts and re-entries), ends_on_short_break (last episode: left
-- out of exits); is_short_break when every episode is one.
-- period_start_unknown: the period's true start is unknown (primer section 4, "Coverage"): the
-- extract has a coverage start C and the first episode seen did not start a period (RNE not S),
-- so earlier episodes are missing (before C) or the chain is truncated (at/after C).
-- chain_hole: an episode of the period has a hole the repairs cannot close (int_episodes__sequenced:
-- a continuation missing, a period starting mid-chain), so its start, end or exit route may be wrong
-- and the child's figures are incomplete; it also makes the period's start unknown.
with episodes as (

    select * from "permanence"."intermediate"."int_episodes__sequenced" where 1 = 1

),

reporting as (

    select * from "permanence"."intermediate"."int_la__reporting_dates"

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
        case
        when last_episodes.episode_end_date is null then null
        when last_episodes.reason_episode_ceased in ('E11', 'E12') then 'Adopted'
        when last_episodes.reason_episode_ceased in ('E45', 'E46', 'E47', 'E48') then 'Special guardianship order'
        when last_episodes.reason_episode_ceased = 'E41' then 'Child arrangements order'
        when last_episodes.reason_episode_ceased in ('E4A', 'E4B') then 'Returned home'
        when last_episodes.reason_episode_ceased = 'E13' then 'Living with parents or relatives without PR'
        when last_episodes.reason_episode_ceased in ('E5', 'E6', 'E17') then 'Independent living or stayed with carers at 18'
        when last_episodes.reason_episode_ceased in ('E2', 'E3', 'E7', 'E8', 'E9', 'E14', 'E15', 'E16') then 'Other'
        else 'Not recorded'
    end as exit_route,
        cast(
        (date_diff('day', periods.period_start::timestamp, coalesce(last_episodes.episode_end_date, reporting.as_at_date)::timestamp ))
     as integer) as days_in_care,
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
        cast(case when extract(month from periods.period_start) >= 4
              then extract(year from periods.period_start)
              else extract(year from periods.period_start) - 1 end as integer) as start_year,
        case when last_episodes.episode_end_date is not null
             then cast(case when extract(month from last_episodes.episode_end_date) >= 4
              then extract(year from last_episodes.episode_end_date)
              else extract(year from last_episodes.episode_end_date) - 1 end as integer) end as end_year,
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

select
        final.*,
        current_load.load_id as built_from_load,
        cast('da54354d248cde1e' as TEXT) as build_key
    from final
    inner join "permanence"."raw"."current_load" as current_load
        on current_load.la_code = final.la_code