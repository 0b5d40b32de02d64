-- Placement stability per LA and collection year whose 31 March (E) is on or before D
-- (docs/measures.md#stability), children looked after on E whose current episode is not a short break:
--   three_plus_placements: 3+ placements in the year (open on 1 April + started in the year),
--     not counting temporary placements (first episode PLACE T0-T4)
--   long_term_eligible: aged under 16 on E and current period started on or before E - 30 months
--     (30 September two and a half years earlier)
--   long_term_stable: of those, current placement started on or before E - 24 months; for a child
--     in an adoptive placement (A3-A6) that started with RNE P or B, the previous placement's start
-- complete (CLA on 31 March, three_plus_placements): false for a year that begins before the
--   coverage start C (children who left before C and placements started before it are missing).
-- long_term_complete: false unless the history reaches 30 September two and a half years before
--   31 March (the eligibility date); before that, period and placement starts are not known.
-- partial: always false here (only years whose 31 March is on or before D), kept for uniformity.
with reporting as (

    select * from {{ ref('int_la__reporting_dates') }}

),

first_years as (

    select la_code, min({{ collection_year_start('episode_start_date') }}) as first_year
    from {{ ref('int_episodes__sequenced') }}
    group by la_code

),

years as (

    select
        reporting.la_code,
        reporting.as_at_date,
        reporting.coverage_start,
        first_years.first_year + spine.n as year_start,
        {{ collection_year_start_date('first_years.first_year + spine.n') }} as year_start_date,
        {{ collection_year_end_date('first_years.first_year + spine.n') }} as year_end_date
    from reporting
    inner join first_years on first_years.la_code = reporting.la_code
    cross join ({{ integer_spine() }}) as spine
    where first_years.first_year + spine.n <= {{ collection_year_start('reporting.as_at_date') }}

),

in_scope_years as (

    select * from years
    where year_end_date <= as_at_date

),

looked_after as (

    select
        years.la_code,
        years.year_start,
        years.year_start_date,
        years.year_end_date,
        episodes.child_id,
        episodes.placement_type,
        episodes.period_start,
        episodes.placement_number
    from in_scope_years as years
    inner join {{ ref('int_episodes__sequenced') }} as episodes
        on episodes.la_code = years.la_code
       and {{ looked_after_on('episodes.episode_start_date', 'episodes.episode_end_date', 'years.year_end_date') }}
    where episodes.legal_status is null or episodes.legal_status not in ('V3', 'V4')

),

placement_counts as (

    select
        looked_after.la_code,
        looked_after.year_start,
        looked_after.child_id,
        count(*) as placements_in_year
    from looked_after
    inner join {{ ref('int_episodes__placements') }} as placements
        on placements.la_code = looked_after.la_code
       and placements.child_id = looked_after.child_id
    inner join {{ ref('int_episodes__periods_of_care') }} as periods
        on periods.la_code = placements.la_code
       and periods.child_id = placements.child_id
       and periods.period_number = placements.period_number
    where not placements.is_temporary
      and not periods.is_short_break
      and (
          (placements.placement_start < looked_after.year_start_date
           and (placements.placement_end is null or placements.placement_end > looked_after.year_start_date))
          or placements.placement_start between looked_after.year_start_date and looked_after.year_end_date
      )
    group by looked_after.la_code, looked_after.year_start, looked_after.child_id

),

children as (

    select
        looked_after.*,
        coalesce(placement_counts.placements_in_year, 0) as placements_in_year,
        case
            when looked_after.placement_type in ('A3', 'A4', 'A5', 'A6')
             and current_placement.first_reason_new_episode in ('P', 'B')
                then coalesce(current_placement.previous_placement_start, current_placement.placement_start)
            else current_placement.placement_start
        end as stability_placement_start,
        characteristics.birth_month
    from looked_after
    inner join {{ ref('int_episodes__placements') }} as current_placement
        on current_placement.la_code = looked_after.la_code
       and current_placement.child_id = looked_after.child_id
       and current_placement.placement_number = looked_after.placement_number
    left join placement_counts
        on placement_counts.la_code = looked_after.la_code
       and placement_counts.year_start = looked_after.year_start
       and placement_counts.child_id = looked_after.child_id
    left join {{ ref('int_children__characteristics') }} as characteristics
        on characteristics.la_code = looked_after.la_code
       and characteristics.child_id = looked_after.child_id

),

flagged as (

    select
        *,
        case
            when birth_month is not null
             and {{ age_in_years('birth_month', 'year_end_date') }} < 16
             and period_start <= cast({{ dbt.dateadd('month', -30, 'year_end_date') }} as date)
                then 1 else 0
        end as is_long_term_eligible
    from children

)

select
    cast(in_scope_years.la_code as varchar) as la_code,
    cast({{ collection_year_label('in_scope_years.year_start') }} as varchar) as collection_year,
    cast(in_scope_years.year_end_date as date) as year_end_date,
    cast({{ history_covered('in_scope_years.year_start_date', 'in_scope_years.coverage_start') }} as boolean) as complete,
    cast(case when not {{ history_covered('in_scope_years.year_start_date', 'in_scope_years.coverage_start') }}
              then 'year begins before the coverage start' end as varchar) as incomplete_reason,
    cast({{ history_covered('cast(' ~ dbt.dateadd('month', -30, 'in_scope_years.year_end_date') ~ ' as date)', 'in_scope_years.coverage_start') }} as boolean) as long_term_complete,
    cast(case when not {{ history_covered('cast(' ~ dbt.dateadd('month', -30, 'in_scope_years.year_end_date') ~ ' as date)', 'in_scope_years.coverage_start') }}
              then 'needs history from 30 September two and a half years earlier; coverage starts later' end as varchar) as long_term_incomplete_reason,
    cast(in_scope_years.year_end_date > in_scope_years.as_at_date as boolean) as partial,
    cast(count(flagged.child_id) as bigint) as cla_at_31_march,
    cast(coalesce(sum(case when flagged.placements_in_year >= 3 then 1 else 0 end), 0) as bigint) as three_plus_placements,
    cast(coalesce(sum(flagged.is_long_term_eligible), 0) as bigint) as long_term_eligible,
    cast(coalesce(sum(case
        when flagged.is_long_term_eligible = 1
         and flagged.stability_placement_start <= cast({{ dbt.dateadd('month', -24, 'flagged.year_end_date') }} as date)
            then 1 else 0
    end), 0) as bigint) as long_term_stable
from in_scope_years
left join flagged
    on flagged.la_code = in_scope_years.la_code
   and flagged.year_start = in_scope_years.year_start
group by in_scope_years.la_code, in_scope_years.year_start, in_scope_years.year_start_date,
         in_scope_years.year_end_date, in_scope_years.coverage_start, in_scope_years.as_at_date
