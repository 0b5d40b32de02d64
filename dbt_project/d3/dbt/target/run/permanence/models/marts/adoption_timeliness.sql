
    
      
    

    create  table
      "permanence"."marts"."adoption_timeliness__dbt_tmp"
  
  (
    la_code varchar,
    child_id varchar,
    collection_year varchar,
    date_entered_care date,
    date_placed_for_adoption date,
    date_moved_in_with_adopters date,
    date_court_authority date,
    date_match date,
    date_adopted date,
    adopted_by_foster_carer boolean,
    a1_days integer,
    a2_days integer,
    a10_days integer,
    collection_year_start integer,
    coverage_start date,
    as_at_date date,
    complete boolean,
    incomplete_reason varchar,
    partial boolean
    
    )
 ;
    
    
    insert into "permanence"."marts"."adoption_timeliness__dbt_tmp" 
  (
    
      
      
      la_code ,
    
      
      
      child_id ,
    
      
      
      collection_year ,
    
      
      
      date_entered_care ,
    
      
      
      date_placed_for_adoption ,
    
      
      
      date_moved_in_with_adopters ,
    
      
      
      date_court_authority ,
    
      
      
      date_match ,
    
      
      
      date_adopted ,
    
      
      
      adopted_by_foster_carer ,
    
      
      
      a1_days ,
    
      
      
      a2_days ,
    
      
      
      a10_days ,
    
      
      
      collection_year_start ,
    
      
      
      coverage_start ,
    
      
      
      as_at_date ,
    
      
      
      complete ,
    
      
      
      incomplete_reason ,
    
      
      
      partial 
    
  )
 (
      
    select la_code, child_id, collection_year, date_entered_care, date_placed_for_adoption, date_moved_in_with_adopters, date_court_authority, date_match, date_adopted, adopted_by_foster_carer, a1_days, a2_days, a10_days, collection_year_start, coverage_start, as_at_date, complete, incomplete_reason, partial
    from (
        -- One row per adopted child period (REC E11/E12, not a short break), primer section 5:
--   a1_days  = period start -> first episode of the period with PLACE A3-A6 (moved in with adopters)
--   a10_days = as a1_days, but when AD1 FOSTER_CARE = '1' the end point is the start of the
--              placement (carer level) containing that first A3-A6 episode
--   a2_days  = greatest(0, AD1 DATE_MATCH - first episode of the period with LS E1 or D1)
-- Null (left out of means) when the end point or start point is missing. Periods whose last
-- episode is a short break are left out (the episode in question for an exit).
-- complete: false when the period's start is unknown (period_start_unknown: first episode seen
-- before the coverage start C, or a broken chain), so A1, A2 and A10 may be too short.
-- partial: the collection year of the adoption has not ended on D.
with adopted as (

    select *
    from "permanence"."intermediate"."int_periods_of_care"
    where reason_ceased in ('E11', 'E12')
      and not ends_on_short_break
      and end_year <= cast(case when extract(month from as_at_date) >= 4
              then extract(year from as_at_date)
              else extract(year from as_at_date) - 1 end as integer)

),

episodes as (

    select * from "permanence"."intermediate"."int_episodes__sequenced"

),

moved_in as (

    select la_code, child_id, period_number, min(episode_start_date) as date_moved_in_with_adopters
    from episodes
    where placement_type in ('A3', 'A4', 'A5', 'A6')
    group by la_code, child_id, period_number

),

adoptive_placement as (

    select moved_in.*, episodes.placement_start as adoptive_placement_start
    from moved_in
    inner join episodes
        on episodes.la_code = moved_in.la_code
       and episodes.child_id = moved_in.child_id
       and episodes.episode_start_date = moved_in.date_moved_in_with_adopters

),

court_authority as (

    select la_code, child_id, period_number, min(episode_start_date) as date_court_authority
    from episodes
    where legal_status in ('E1', 'D1')
    group by la_code, child_id, period_number

),

ad1 as (

    select *
    from (
        select
            *,
            row_number() over (partition by la_code, child_id order by extract_date desc, source_row desc) as row_rank
        from "permanence"."staging"."stg_ssda903__ad1"
    ) as ranked
    where row_rank = 1

),

joined as (

    select
        adopted.la_code,
        adopted.child_id,
        adopted.end_year,
        adopted.period_start,
        adopted.period_end,
        adopted.period_start_unknown,
        adopted.as_at_date,
        adopted.coverage_start,
        adoptive_placement.date_moved_in_with_adopters,
        adoptive_placement.adoptive_placement_start,
        court_authority.date_court_authority,
        -- a match recorded after D was not known on D
        case when ad1.adoption_match_date <= adopted.as_at_date then ad1.adoption_match_date end as adoption_match_date,
        ad1.adopted_by_foster_carer
    from adopted
    left join adoptive_placement
        on adoptive_placement.la_code = adopted.la_code
       and adoptive_placement.child_id = adopted.child_id
       and adoptive_placement.period_number = adopted.period_number
    left join court_authority
        on court_authority.la_code = adopted.la_code
       and court_authority.child_id = adopted.child_id
       and court_authority.period_number = adopted.period_number
    left join ad1
        on ad1.la_code = adopted.la_code
       and ad1.child_id = adopted.child_id

)

select
    cast(la_code as varchar) as la_code,
    cast(child_id as varchar) as child_id,
    cast(cast(cast(end_year as TEXT) || '-'
         || lpad(cast(mod(cast(end_year as integer) + 1, 100) as TEXT), 2, '0')
         as varchar) as varchar) as collection_year,
    cast(period_start as date) as date_entered_care,
    cast(date_moved_in_with_adopters as date) as date_placed_for_adoption,
    cast(date_moved_in_with_adopters as date) as date_moved_in_with_adopters,
    cast(date_court_authority as date) as date_court_authority,
    cast(adoption_match_date as date) as date_match,
    cast(period_end as date) as date_adopted,
    cast(coalesce(adopted_by_foster_carer = '1', false) as boolean) as adopted_by_foster_carer,
    cast(cast(
        (date_diff('day', period_start::timestamp, date_moved_in_with_adopters::timestamp ))
     as integer) as integer) as a1_days,
    cast(case
        when date_court_authority is not null and adoption_match_date is not null
            then greatest(0, cast(
        (date_diff('day', date_court_authority::timestamp, adoption_match_date::timestamp ))
     as integer))
    end as integer) as a2_days,
    cast(case
        when adopted_by_foster_carer = '1' then cast(
        (date_diff('day', period_start::timestamp, adoptive_placement_start::timestamp ))
     as integer)
        else cast(
        (date_diff('day', period_start::timestamp, date_moved_in_with_adopters::timestamp ))
     as integer)
    end as integer) as a10_days,
    cast(end_year as integer) as collection_year_start,
    cast(coverage_start as date) as coverage_start,
    cast(as_at_date as date) as as_at_date,
    cast(not period_start_unknown as boolean) as complete,
    cast(case when period_start_unknown
              then 'period start unknown (before the coverage start or a broken chain)' end as varchar) as incomplete_reason,
    cast((cast(

    (

    (cast('2000-04-01' as date) + cast(end_year - 1999 as bigint) * interval 1 year) + cast(-1 as bigint) * interval 1 day) as date) > as_at_date) as boolean) as partial
from joined
    ) as model_subq
    );
  