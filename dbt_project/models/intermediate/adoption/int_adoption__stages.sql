-- Each child's adoption journey (docs/measures.md#timeliness), one row per period of care that ended
-- in adoption (REC E11/E12) or is the child's latest period (open or last closed) with an adoption
-- decision or placement order in it. Only what was known on D: dates after D are read as blank.
-- Stage dates, from the 903 return first and the CMS permanence extract (ssd_permanence) where the
-- 903 has none (the 903 is what DfE counts; the extract fills the gap for children not adopted yet):
--   date_entered_care       period start
--   date_decision           ADM "should be placed for adoption" decision: AD1 DATE_INT (adopted
--                           children), else the latest PlacedAdoption DATE_PLACED, else the extract
--   date_placement_order    first episode of the period with LS E1 (placement order) or D1 (freeing
--                           order), as A2's court authority; else the extract
--   date_match              AD1 DATE_MATCH, else the extract
--   date_placed_for_adoption first episode of the period with PLACE A3-A6 (moved in, as A1); else
--                           the extract
--   date_adopted            period end when the period ended in adoption
-- A decision, order or match dated before the period start belongs to an earlier period and is
-- left out, unless the period's start is unknown (it may have begun before the coverage start).
-- adoption_timeliness (A1, A2, A10) reads the 903-only dates from here, so both marts share one
-- definition of each stage.
-- Reversal: PlacedAdoption DATE_PLACED_CEASED / REASON_PLACED_CEASED (RD1-RD4) of the latest
-- decision, else the extract's reversal; never for an adopted period (adoption ends the decision).
with periods as (

    select
        *,
        row_number() over (partition by la_code, child_id order by period_start desc) as recency
    from {{ ref('int_episodes__periods_of_care') }}

),

episodes as (

    select * from {{ ref('int_episodes__sequenced') }}

),

reporting as (

    select * from {{ ref('int_la__reporting_dates') }}

),

moved_in as (

    select la_code, child_id, period_number, min(episode_start_date) as date_moved_in_with_adopters
    from episodes
    where placement_type in ('A3', 'A4', 'A5', 'A6')
    group by la_code, child_id, period_number

),

-- the carer-level placement holding that first A3-A6 episode (A10's end point)
adoptive_placement as (

    select moved_in.*, episodes.placement_start as adoptive_placement_start
    from moved_in
    inner join episodes
        on episodes.la_code = moved_in.la_code
       and episodes.child_id = moved_in.child_id
       and episodes.episode_start_date = moved_in.date_moved_in_with_adopters

),

court_authority as (

    select la_code, child_id, period_number, min(episode_start_date) as date_placement_order
    from episodes
    where legal_status in ('E1', 'D1')
    group by la_code, child_id, period_number

),

-- latest AD1 row of the child (the later return wins, as adoption_timeliness)
ad1 as (

    select *
    from (
        select
            *,
            row_number() over (partition by la_code, child_id order by extract_date desc, source_row desc) as row_rank
        from {{ ref('stg_ssda903__ad1') }}
    ) as ranked
    where row_rank = 1

),

placed_adoption as (

    select placed.*
    from {{ ref('stg_ssda903__placed_adoption') }} as placed
    inner join reporting on reporting.la_code = placed.la_code
    where placed.adoption_decision_date <= reporting.as_at_date

),

extras as (

    select extra.*
    from {{ ref('stg_extras__permanence') }} as extra
    inner join reporting on reporting.la_code = extra.la_code

),

journeys as (

    select
        periods.*,
        -- an open period has no reason ceased: not adopted (false, not unknown)
        cast(coalesce(periods.reason_ceased in ('E11', 'E12') and not periods.ends_on_short_break, false) as boolean) as adopted,
        adoptive_placement.date_moved_in_with_adopters as episode_placed_date,
        adoptive_placement.adoptive_placement_start,
        court_authority.date_placement_order as episode_order_date
    from periods
    left join adoptive_placement
        on adoptive_placement.la_code = periods.la_code
       and adoptive_placement.child_id = periods.child_id
       and adoptive_placement.period_number = periods.period_number
    left join court_authority
        on court_authority.la_code = periods.la_code
       and court_authority.child_id = periods.child_id
       and court_authority.period_number = periods.period_number

),

-- a date belongs to the period when it falls within it (its start unknown: from any time before)
latest_placed_adoption as (

    select *
    from (
        select
            journeys.la_code, journeys.child_id, journeys.period_number,
            placed_adoption.adoption_decision_date,
            placed_adoption.adoption_decision_ceased_date,
            placed_adoption.reason_adoption_decision_ceased,
            row_number() over (
                partition by journeys.la_code, journeys.child_id, journeys.period_number
                order by placed_adoption.adoption_decision_date desc, placed_adoption.extract_date desc,
                         placed_adoption.source_row desc
            ) as row_rank
        from journeys
        inner join placed_adoption
            on placed_adoption.la_code = journeys.la_code
           and placed_adoption.child_id = journeys.child_id
           and (journeys.period_start_unknown or placed_adoption.adoption_decision_date >= journeys.period_start)
           and placed_adoption.adoption_decision_date <= coalesce(journeys.period_end, journeys.as_at_date)
    ) as ranked
    where row_rank = 1

),

latest_extras as (

    select *
    from (
        select
            journeys.la_code, journeys.child_id, journeys.period_number,
            extras.adm_decision_date, extras.placement_order_date, extras.matched_date,
            extras.placed_for_adoption_date, extras.decision_reversed_date, extras.decision_reversed_reason,
            row_number() over (
                partition by journeys.la_code, journeys.child_id, journeys.period_number
                order by extras.adm_decision_date desc, extras.extract_date desc, extras.source_row desc
            ) as row_rank
        from journeys
        inner join extras
            on extras.la_code = journeys.la_code
           and extras.child_id = journeys.child_id
           and extras.adm_decision_date <= coalesce(journeys.period_end, journeys.as_at_date)
           and (journeys.period_start_unknown or extras.adm_decision_date >= journeys.period_start)
    ) as ranked
    where row_rank = 1

),

dated as (

    select
        journeys.*,
        ad1.birth_month,
        coalesce(ad1.adopted_by_foster_carer = '1', false) as adopted_by_foster_carer,
        -- AD1 describes the adoption, so it dates only an adopted period; dates after D were not known on D
        case when journeys.adopted and ad1.adoption_decision_date <= journeys.as_at_date
             then ad1.adoption_decision_date end as ad1_decision_date,
        case when journeys.adopted and ad1.adoption_match_date <= journeys.as_at_date
             then ad1.adoption_match_date end as ad1_match_date,
        latest_placed_adoption.adoption_decision_date as placed_adoption_decision_date,
        latest_placed_adoption.adoption_decision_ceased_date,
        latest_placed_adoption.reason_adoption_decision_ceased,
        latest_extras.adm_decision_date as extras_decision_date,
        case when latest_extras.placement_order_date <= journeys.as_at_date then latest_extras.placement_order_date end as extras_order_date,
        case when latest_extras.matched_date <= journeys.as_at_date then latest_extras.matched_date end as extras_match_date,
        case when latest_extras.placed_for_adoption_date <= journeys.as_at_date then latest_extras.placed_for_adoption_date end as extras_placed_date,
        case when latest_extras.decision_reversed_date <= journeys.as_at_date then latest_extras.decision_reversed_date end as extras_reversed_date,
        latest_extras.decision_reversed_reason as extras_reversed_reason
    from journeys
    left join ad1
        on ad1.la_code = journeys.la_code
       and ad1.child_id = journeys.child_id
    left join latest_placed_adoption
        on latest_placed_adoption.la_code = journeys.la_code
       and latest_placed_adoption.child_id = journeys.child_id
       and latest_placed_adoption.period_number = journeys.period_number
    left join latest_extras
        on latest_extras.la_code = journeys.la_code
       and latest_extras.child_id = journeys.child_id
       and latest_extras.period_number = journeys.period_number

),

stages as (

    select
        dated.*,
        coalesce(ad1_decision_date, placed_adoption_decision_date, extras_decision_date) as date_decision,
        coalesce(episode_order_date, extras_order_date) as date_placement_order,
        coalesce(ad1_match_date, extras_match_date) as date_match,
        coalesce(episode_placed_date, extras_placed_date) as date_placed_for_adoption,
        case when adopted then period_end end as date_adopted,
        case when not adopted then
            case when adoption_decision_ceased_date <= as_at_date then adoption_decision_ceased_date
                 else extras_reversed_date end
        end as date_decision_reversed,
        case when not adopted then
            case when adoption_decision_ceased_date <= as_at_date then reason_adoption_decision_ceased
                 when extras_reversed_date is not null then extras_reversed_reason end
        end as reason_decision_reversed
    from dated

)

select
    cast(la_code as varchar) as la_code,
    cast(child_id as varchar) as child_id,
    cast(period_number as integer) as period_number,
    cast(birth_month as date) as birth_month,
    cast(period_start as date) as date_entered_care,
    cast(date_decision as date) as date_decision,
    cast(date_placement_order as date) as date_placement_order,
    cast(date_match as date) as date_match,
    cast(date_placed_for_adoption as date) as date_placed_for_adoption,
    cast(date_adopted as date) as date_adopted,
    -- the 903-only dates of A1, A2 and A10 (adoption_timeliness): no fallback to the extract
    cast(episode_placed_date as date) as date_moved_in_with_adopters,
    cast(adoptive_placement_start as date) as adoptive_placement_start,
    cast(episode_order_date as date) as date_court_authority,
    cast(ad1_match_date as date) as ad1_date_match,
    cast(date_decision_reversed as date) as date_decision_reversed,
    cast(reason_decision_reversed as varchar) as reason_decision_reversed,
    cast(adopted as boolean) as adopted,
    cast(adopted_by_foster_carer as boolean) as adopted_by_foster_carer,
    cast(period_end is null as boolean) as looked_after_on_as_at_date,
    -- the episode in question on D is a short break (V3/V4): left out of every measure (docs/measures.md#short-breaks-and-the-episode-in-question)
    cast(ends_on_short_break as boolean) as on_short_break,
    cast(case when adopted then end_year end as integer) as adopted_year_start,
    cast(period_start_unknown as boolean) as period_start_unknown,
    cast(coverage_start as date) as coverage_start,
    cast(as_at_date as date) as as_at_date
from stages
where adopted
   or (recency = 1 and (date_decision is not null or date_placement_order is not null))
