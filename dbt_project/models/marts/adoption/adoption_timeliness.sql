-- One row per adopted child period (REC E11/E12, not a short break), docs/measures.md#timeliness:
--   a1_days  = period start -> first episode of the period with PLACE A3-A6 (moved in with adopters)
--   a10_days = as a1_days, but when AD1 FOSTER_CARE = '1' the end point is the start of the
--              placement (carer level) containing that first A3-A6 episode
--   a2_days  = greatest(0, AD1 DATE_MATCH - first episode of the period with LS E1 or D1)
-- The dates are int_adoption__stages' 903-only ones (never the permanence extract's fallbacks: the
-- scorecard measures are DfE's, from the 903), shared with adoption_pipeline.
-- Null (left out of means) when the end point or start point is missing. Periods whose last
-- episode is a short break are left out (the episode in question for an exit).
-- complete: false when the period's start is unknown (period_start_unknown: first episode seen
-- before the coverage start C, or a broken chain), so A1, A2 and A10 may be too short.
-- partial: the collection year of the adoption has not ended on D.
with adopted as (

    select *
    from {{ ref('int_adoption__stages') }}
    where adopted
      and adopted_year_start <= {{ collection_year_start('as_at_date') }}

)

select
    cast(la_code as varchar) as la_code,
    cast(child_id as varchar) as child_id,
    cast({{ collection_year_label('adopted_year_start') }} as varchar) as collection_year,
    cast(date_entered_care as date) as date_entered_care,
    cast(date_moved_in_with_adopters as date) as date_placed_for_adoption,
    cast(date_moved_in_with_adopters as date) as date_moved_in_with_adopters,
    cast(date_court_authority as date) as date_court_authority,
    cast(ad1_date_match as date) as date_match,
    cast(date_adopted as date) as date_adopted,
    cast(adopted_by_foster_carer as boolean) as adopted_by_foster_carer,
    cast({{ days_between('date_entered_care', 'date_moved_in_with_adopters') }} as integer) as a1_days,
    cast(case
        when date_court_authority is not null and ad1_date_match is not null
            then greatest(0, {{ days_between('date_court_authority', 'ad1_date_match') }})
    end as integer) as a2_days,
    cast(case
        when adopted_by_foster_carer then {{ days_between('date_entered_care', 'adoptive_placement_start') }}
        else {{ days_between('date_entered_care', 'date_moved_in_with_adopters') }}
    end as integer) as a10_days,
    cast(adopted_year_start as integer) as collection_year_start,
    cast(coverage_start as date) as coverage_start,
    cast(as_at_date as date) as as_at_date,
    cast(not period_start_unknown as boolean) as complete,
    cast(case when period_start_unknown
              then 'period start unknown (before the coverage start or a broken chain)' end as varchar) as incomplete_reason,
    cast({{ is_partial_year('adopted_year_start', 'as_at_date') }} as boolean) as partial
from adopted
