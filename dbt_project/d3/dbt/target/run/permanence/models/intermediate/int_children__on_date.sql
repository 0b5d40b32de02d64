
    

    create  table
      "permanence"."intermediate"."int_children__on_date"
  
    
    as (
      -- Children looked after on each reporting date (D and the month ends before it), with their
-- current episode and the starts of its period, placement and legal status span. Children whose
-- current episode is a short break (LS V3/V4) are left out (primer section 5).
with dates as (

    select * from "permanence"."intermediate"."int_reporting_dates__history" where 1 = 1

),

episodes as (

    select * from "permanence"."intermediate"."int_episodes__sequenced" where 1 = 1

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
       and (episodes.episode_start_date <= dates.reporting_date
     and (episodes.episode_end_date is null or episodes.episode_end_date > dates.reporting_date))
    where episodes.legal_status is null or episodes.legal_status not in ('V3', 'V4')

)

select
        final.*,
        current_load.load_id as built_from_load,
        cast('da54354d248cde1e' as TEXT) as build_key
    from final
    inner join "permanence"."raw"."current_load" as current_load
        on current_load.la_code = final.la_code
    );
    
  
  