
    
      
    

    create  table
      "permanence"."marts"."reentry_by_previous_exit__dbt_tmp"
  
  (
    la_code varchar,
    collection_year varchar,
    exit_route varchar,
    children_exited bigint,
    reentered_within_12_months bigint,
    share_reentered double precision,
    complete boolean,
    incomplete_reason varchar,
    partial boolean
    
    )
 ;
    
    
    insert into "permanence"."marts"."reentry_by_previous_exit__dbt_tmp" 
  (
    
      
      
      la_code ,
    
      
      
      collection_year ,
    
      
      
      exit_route ,
    
      
      
      children_exited ,
    
      
      
      reentered_within_12_months ,
    
      
      
      share_reentered ,
    
      
      
      complete ,
    
      
      
      incomplete_reason ,
    
      
      
      partial 
    
  )
 (
      
    select la_code, collection_year, exit_route, children_exited, reentered_within_12_months, share_reentered, complete, incomplete_reason, partial
    from (
        -- Exits that did not last, per LA, collection year of the exit and exit route (primer section 5,
-- re-entry by the route of the previous exit; return home above all): children leaving care in
-- the year (each child once, by the last period ended in the year, as exits_by_year) and, of them,
-- those who started a new period (not on a short break) within 365 days of that exit.
-- complete: false for a year that begins before the coverage start C, or while the 365 days after
-- the year's last day have not passed on D (a later re-entry is not yet known).
with exits as (

    select * from "permanence"."intermediate"."int_exits__last_period_by_year"

),

next_starts as (

    select
        exits.la_code,
        exits.child_id,
        exits.end_year,
        min(periods.period_start) as next_period_start
    from exits
    inner join "permanence"."intermediate"."int_periods_of_care" as periods
        on periods.la_code = exits.la_code
       and periods.child_id = exits.child_id
       and periods.period_start >= exits.period_end
       and not periods.starts_on_short_break
    group by exits.la_code, exits.child_id, exits.end_year

),

counted as (

    select
        exits.la_code,
        exits.end_year,
        exits.exit_route,
        count(*) as children_exited,
        sum(case when cast(
        (date_diff('day', exits.period_end::timestamp, next_starts.next_period_start::timestamp ))
     as integer) <= 365
                 then 1 else 0 end) as reentered_within_12_months,
        max(exits.coverage_start) as coverage_start,
        max(exits.as_at_date) as as_at_date
    from exits
    left join next_starts
        on next_starts.la_code = exits.la_code
       and next_starts.child_id = exits.child_id
       and next_starts.end_year = exits.end_year
    group by exits.la_code, exits.end_year, exits.exit_route

),

final as (

    select
        cast(la_code as varchar) as la_code,
        cast(cast(cast(end_year as TEXT) || '-'
         || lpad(cast(mod(cast(end_year as integer) + 1, 100) as TEXT), 2, '0')
         as varchar) as varchar) as collection_year,
        cast(exit_route as varchar) as exit_route,
        cast(children_exited as bigint) as children_exited,
        cast(reentered_within_12_months as bigint) as reentered_within_12_months,
        cast(1.0 * reentered_within_12_months / children_exited as double precision) as share_reentered,
        cast(reason is null as boolean) as complete,
        cast(reason as varchar) as incomplete_reason,
        cast((cast(

    (

    (cast('2000-04-01' as date) + cast(end_year - 1999 as bigint) * interval 1 year) + cast(-1 as bigint) * interval 1 day) as date) > as_at_date) as boolean) as partial
    from (
        select
            counted.*,
            case
                when not (coverage_start is null or coverage_start <= cast(

    (cast('2000-04-01' as date) + cast(end_year - 2000 as bigint) * interval 1 year) as date))
                    then 'year begins before the coverage start'
                when cast(

    (cast(

    (

    (cast('2000-04-01' as date) + cast(end_year - 1999 as bigint) * interval 1 year) + cast(-1 as bigint) * interval 1 day) as date) + cast(365 as bigint) * interval 1 day) as date) > as_at_date
                    then 'the 12 months after some exits run past the reporting date'
            end as reason
        from counted
    ) as counted

)

select * from final
    ) as model_subq
    );
  