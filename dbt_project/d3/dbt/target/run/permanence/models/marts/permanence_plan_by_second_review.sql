
    
      
    

    create  table
      "permanence"."marts"."permanence_plan_by_second_review__dbt_tmp"
  
  (
    la_code varchar,
    collection_year varchar,
    status varchar,
    periods_due_second_review bigint,
    plan_by_second_review bigint,
    second_review_overdue bigint,
    share_plan_by_second_review double precision,
    complete boolean,
    incomplete_reason varchar,
    partial boolean
    
    )
 ;
    
    
    insert into "permanence"."marts"."permanence_plan_by_second_review__dbt_tmp" 
  (
    
      
      
      la_code ,
    
      
      
      collection_year ,
    
      
      
      status ,
    
      
      
      periods_due_second_review ,
    
      
      
      plan_by_second_review ,
    
      
      
      second_review_overdue ,
    
      
      
      share_plan_by_second_review ,
    
      
      
      complete ,
    
      
      
      incomplete_reason ,
    
      
      
      partial 
    
  )
 (
      
    select la_code, collection_year, status, periods_due_second_review, plan_by_second_review, second_review_overdue, share_plan_by_second_review, complete, incomplete_reason, partial
    from (
        -- Permanence plan by the second review (primer section 5), per LA and collection year of the
-- period's start. Counted: periods (not starting on a short break) that were due a second review
-- on D: the second review is due 3 months after the first review, or, with no first review held,
-- 3 months after the 20th working day from the start; a period is due when it lasted to that date,
-- or when a second review was held (even if the child left before the due date).
-- Met: the plan current at the second review (the latest plan dated on or before it, not ended
-- before the period began) has a permanence code (var permanence_plan_codes). Not met: no plan,
-- another code, or no second review held by D although it was due (overdue). The first plan ever
-- recorded is not the test.
-- One 'not available' row per LA (at the collection year of D) when the LA sent no care plan extract.
-- complete: false for a year that begins before the coverage start C, or when a counted period's
-- start is unknown (its reviews before C are missing, so the second review seen may not be the
-- second). partial: the year has not ended on D.
with reporting as (

    select * from "permanence"."intermediate"."int_la__reporting_dates"

),

plans as (

    select * from "permanence"."staging"."stg_extras__cla_care_plan"

),

available as (

    select distinct la_code from plans

),

periods as (

    select periods.*
    from "permanence"."intermediate"."int_periods_of_care" as periods
    inner join available on available.la_code = periods.la_code
    where not periods.starts_on_short_break

),

period_reviews as (

    select
        periods.la_code,
        periods.child_id,
        periods.period_number,
        reviews.review_date,
        row_number() over (
            partition by periods.la_code, periods.child_id, periods.period_number order by reviews.review_date
        ) as review_number
    from periods
    inner join "permanence"."staging"."stg_ssda903__reviews" as reviews
        on reviews.la_code = periods.la_code
       and reviews.child_id = periods.child_id
       and reviews.review_date >= periods.period_start
       and (periods.period_end is null or reviews.review_date <= periods.period_end)
       and reviews.review_date <= periods.as_at_date

),

reviewed as (

    select
        periods.la_code,
        periods.child_id,
        periods.period_number,
        periods.period_start,
        periods.period_end,
        periods.period_start_unknown,
        periods.as_at_date,
        first_review.review_date as first_review_date,
        second_review.review_date as second_review_date,
        cast(

    (coalesce(first_review.review_date, cast(

    (periods.period_start + cast((28 + case when extract(isodow from periods.period_start) >= 6 then 5 - extract(isodow from periods.period_start) when extract(isodow from periods.period_start) + 0 > 5 then 2 else 0 end) as bigint) * interval 1 day) as date)) + cast(3 as bigint) * interval 1 month)
             as date) as second_review_due
    from periods
    left join period_reviews as first_review
        on first_review.la_code = periods.la_code
       and first_review.child_id = periods.child_id
       and first_review.period_number = periods.period_number
       and first_review.review_number = 1
    left join period_reviews as second_review
        on second_review.la_code = periods.la_code
       and second_review.child_id = periods.child_id
       and second_review.period_number = periods.period_number
       and second_review.review_number = 2

),

due as (

    select *
    from reviewed
    where second_review_date is not null
       or (second_review_due < as_at_date and (period_end is null or period_end >= second_review_due))

),

plan_at_second_review as (

    select
        due.la_code,
        due.child_id,
        due.period_number,
        plans.permanence_plan,
        row_number() over (
            partition by due.la_code, due.child_id, due.period_number
            order by plans.care_plan_start_date desc, plans.extract_date desc, plans.source_row desc
        ) as plan_rank
    from due
    inner join plans
        on plans.la_code = due.la_code
       and plans.child_id = due.child_id
       and plans.care_plan_start_date <= due.second_review_date
       and (plans.care_plan_end_date is null or plans.care_plan_end_date >= due.period_start)

),

judged as (

    select
        due.*,
        cast(case when extract(month from due.period_start) >= 4
              then extract(year from due.period_start)
              else extract(year from due.period_start) - 1 end as integer) as start_year,
        due.second_review_date is null as second_review_overdue,
        coalesce(plan_at_second_review.permanence_plan in ('RETURN1M', 'RETURN6M', 'ADOPTION', 'LTRELFR', 'LTFOST18', 'SUPPLIV'), false) as plan_met
    from due
    left join plan_at_second_review
        on plan_at_second_review.la_code = due.la_code
       and plan_at_second_review.child_id = due.child_id
       and plan_at_second_review.period_number = due.period_number
       and plan_at_second_review.plan_rank = 1

),

measured as (

    select
        judged.la_code,
        judged.start_year,
        count(*) as periods_due_second_review,
        sum(case when judged.plan_met then 1 else 0 end) as plan_by_second_review,
        sum(case when judged.second_review_overdue then 1 else 0 end) as second_review_overdue,
        sum(case when judged.period_start_unknown then 1 else 0 end) as periods_start_unknown,
        max(reporting.coverage_start) as coverage_start,
        max(reporting.as_at_date) as as_at_date
    from judged
    inner join reporting on reporting.la_code = judged.la_code
    group by judged.la_code, judged.start_year

),

final as (

    select
        cast(la_code as varchar) as la_code,
        cast(cast(cast(start_year as TEXT) || '-'
         || lpad(cast(mod(cast(start_year as integer) + 1, 100) as TEXT), 2, '0')
         as varchar) as varchar) as collection_year,
        cast('available' as varchar) as status,
        cast(periods_due_second_review as bigint) as periods_due_second_review,
        cast(plan_by_second_review as bigint) as plan_by_second_review,
        cast(second_review_overdue as bigint) as second_review_overdue,
        cast(1.0 * plan_by_second_review / periods_due_second_review as double precision) as share_plan_by_second_review,
        cast(incomplete_reason is null as boolean) as complete,
        cast(incomplete_reason as varchar) as incomplete_reason,
        cast((cast(

    (

    (cast('2000-04-01' as date) + cast(start_year - 1999 as bigint) * interval 1 year) + cast(-1 as bigint) * interval 1 day) as date) > as_at_date) as boolean) as partial
    from (
        select
            measured.*,
            case
                when not (coverage_start is null or coverage_start <= cast(

    (cast('2000-04-01' as date) + cast(start_year - 2000 as bigint) * interval 1 year) as date))
                    then 'year begins before the coverage start'
                when periods_start_unknown > 0
                    then 'period start unknown (before the coverage start or a broken chain)'
            end as incomplete_reason
        from measured
    ) as measured

    union all

    select
        cast(reporting.la_code as varchar),
        cast(cast(cast(cast(case when extract(month from reporting.as_at_date) >= 4
              then extract(year from reporting.as_at_date)
              else extract(year from reporting.as_at_date) - 1 end as integer) as TEXT) || '-'
         || lpad(cast(mod(cast(cast(case when extract(month from reporting.as_at_date) >= 4
              then extract(year from reporting.as_at_date)
              else extract(year from reporting.as_at_date) - 1 end as integer) as integer) + 1, 100) as TEXT), 2, '0')
         as varchar) as varchar),
        cast('not available' as varchar),
        cast(null as bigint),
        cast(null as bigint),
        cast(null as bigint),
        cast(null as double precision),
        cast(null as boolean),
        cast('no care plan extract' as varchar),
        cast((cast(

    (

    (cast('2000-04-01' as date) + cast(cast(case when extract(month from reporting.as_at_date) >= 4
              then extract(year from reporting.as_at_date)
              else extract(year from reporting.as_at_date) - 1 end as integer) - 1999 as bigint) * interval 1 year) + cast(-1 as bigint) * interval 1 day) as date) > reporting.as_at_date) as boolean)
    from reporting
    where reporting.la_code not in (select la_code from available)

)

select * from final
    ) as model_subq
    );
  