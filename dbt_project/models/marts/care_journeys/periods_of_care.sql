-- One row per child period of care (docs/measures.md#derived-structures). Complete: short-break periods are kept
-- and flagged (is_short_break, and by the episode in question starts_on_short_break and
-- ends_on_short_break); the measures leave them out. complete: false when the period's start is
-- unknown (first episode seen before the coverage start C or not RNE S after it: a broken chain),
-- so period_start and days_in_care are too late / too short.
select
    cast(la_code as varchar) as la_code,
    cast(child_id as varchar) as child_id,
    cast(period_number as integer) as period_number,
    cast(period_start as date) as period_start,
    cast(period_end as date) as period_end,
    cast(reason_ceased as varchar) as reason_ceased,
    cast(exit_route as varchar) as exit_route,
    cast(days_in_care as integer) as days_in_care,
    cast(period_end is null as boolean) as is_open,
    cast(is_short_break as boolean) as is_short_break,
    cast(episodes as integer) as episodes,
    cast({{ collection_year_label('start_year') }} as varchar) as collection_year_started,
    cast(case when end_year is not null then {{ collection_year_label('end_year') }} end as varchar) as collection_year_ended,
    cast(starts_on_short_break as boolean) as starts_on_short_break,
    cast(ends_on_short_break as boolean) as ends_on_short_break,
    cast(not period_start_unknown as boolean) as complete,
    cast(case when period_start_unknown
              then 'period start unknown (before the coverage start or a broken chain)' end as varchar) as incomplete_reason,
    cast(as_at_date as date) as as_at_date
from {{ ref('int_episodes__periods_of_care') }}
