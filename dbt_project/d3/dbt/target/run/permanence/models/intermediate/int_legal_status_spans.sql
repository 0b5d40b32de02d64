
    

    create  table
      "permanence"."intermediate"."int_legal_status_spans"
  
    
    as (
      -- One row per legal status span (primer section 4): consecutive episodes of a period with the
-- same LS; starts at the first one's start date, ends at the last one's end date (null: open).
with episodes as (

    select * from "permanence"."intermediate"."int_episodes__sequenced" where 1 = 1

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

select
        final.*,
        current_load.load_id as built_from_load,
        cast('da54354d248cde1e' as TEXT) as build_key
    from final
    inner join "permanence"."raw"."current_load" as current_load
        on current_load.la_code = final.la_code
    );
    
  
  