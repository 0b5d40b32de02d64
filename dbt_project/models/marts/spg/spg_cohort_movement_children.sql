-- Movement in and out of the SPG cohorts (issue 17 point 2): one row per child, cohort and month in
-- which the child joined or left the cohort. Membership is the cohort rule applied "as at" each month
-- end of the history and D (int_cohorts__membership), so a month's movement compares the month end
-- before (from_date) with the month's own end (to_date; D for the month holding D).
-- Why a child left, first match wins:
--   'aged out': a period of care ended in the month and the child was 18 or over at its end (birth
--     month + 18 years, the DOB being the first of the month);
--   'left care: <exit route>': a period of care ended in the month (exit route of docs/measures.md#exit-routes);
--   'moved to another cohort': still looked after and in another cohort on to_date;
--   'still looked after, no longer meets the rule' (order revoked, match made, placement changed...).
-- Why a child joined: 'moved from another cohort' (in another cohort on from_date), 'started to be
-- looked after' (a period started in the month), else 'met the cohort rule' (e.g. passed 9 or 12 months).
with dates as (

    select
        la_code,
        reporting_date as to_date,
        lag(reporting_date) over (partition by la_code order by reporting_date) as from_date,
        as_at_date
    from {{ ref('int_reporting_dates__history') }}

),

months as (

    select * from dates where from_date is not null

),

members as (

    select distinct la_code, reporting_date, cohort_id, child_id
    from {{ ref('int_cohorts__membership') }}

),

-- one row per child in any cohort on a date, to tell a move between cohorts from a leaving
any_cohort as (

    select la_code, reporting_date, child_id, cohort_id from members

),

joined as (

    select months.la_code, months.from_date, months.to_date, months.as_at_date, now_in.cohort_id, now_in.child_id,
           cast('joined' as varchar) as movement
    from months
    inner join members as now_in
        on now_in.la_code = months.la_code
       and now_in.reporting_date = months.to_date
    where not exists (
        select 1 from members as before
        where before.la_code = now_in.la_code
          and before.reporting_date = months.from_date
          and before.cohort_id = now_in.cohort_id
          and before.child_id = now_in.child_id
    )

),

left_cohort as (

    select months.la_code, months.from_date, months.to_date, months.as_at_date, before.cohort_id, before.child_id,
           cast('left' as varchar) as movement
    from months
    inner join members as before
        on before.la_code = months.la_code
       and before.reporting_date = months.from_date
    where not exists (
        select 1 from members as now_in
        where now_in.la_code = before.la_code
          and now_in.reporting_date = months.to_date
          and now_in.cohort_id = before.cohort_id
          and now_in.child_id = before.child_id
    )

),

moves as (

    select * from joined
    union all
    select * from left_cohort

),

-- the period of care that ended (for a leaving) or started (for a joining) within the month, the latest
periods_in_month as (

    select
        moves.la_code, moves.to_date, moves.cohort_id, moves.child_id, moves.movement,
        periods.period_start, periods.period_end, periods.exit_route,
        row_number() over (
            partition by moves.la_code, moves.to_date, moves.cohort_id, moves.child_id, moves.movement
            order by coalesce(periods.period_end, periods.period_start) desc
        ) as period_rank
    from moves
    inner join {{ ref('int_episodes__periods_of_care') }} as periods
        on periods.la_code = moves.la_code
       and periods.child_id = moves.child_id
       and (
            (moves.movement = 'left' and periods.period_end > moves.from_date and periods.period_end <= moves.to_date)
         or (moves.movement = 'joined' and periods.period_start > moves.from_date and periods.period_start <= moves.to_date)
       )

),

final as (

    select
        moves.la_code,
        moves.as_at_date,
        moves.from_date,
        moves.to_date,
        moves.cohort_id,
        cohorts.cohort_name,
        moves.child_id,
        moves.movement,
        case
            when moves.movement = 'left' and periods.period_end is not null
             and characteristics.birth_month is not null
             and cast({{ dbt.dateadd('year', 18, 'characteristics.birth_month') }} as date) <= periods.period_end
                then 'aged out'
            when moves.movement = 'left' and periods.period_end is not null
                then 'left care: ' || periods.exit_route
            when moves.movement = 'left' and exists (
                select 1 from any_cohort as other
                where other.la_code = moves.la_code and other.reporting_date = moves.to_date
                  and other.child_id = moves.child_id and other.cohort_id <> moves.cohort_id)
                then 'moved to another cohort'
            when moves.movement = 'left'
                then 'still looked after, no longer meets the rule'
            when exists (
                select 1 from any_cohort as other
                where other.la_code = moves.la_code and other.reporting_date = moves.from_date
                  and other.child_id = moves.child_id and other.cohort_id <> moves.cohort_id)
                then 'moved from another cohort'
            when periods.period_start is not null
                then 'started to be looked after'
            else 'met the cohort rule'
        end as reason,
        case when moves.movement = 'left' then periods.exit_route end as exit_route,
        case when moves.movement = 'left' then periods.period_end end as left_care_on
    from moves
    inner join ({{ spg_cohorts_relation() }}) as cohorts
        on cohorts.cohort_id = moves.cohort_id
    left join periods_in_month as periods
        on periods.la_code = moves.la_code
       and periods.to_date = moves.to_date
       and periods.cohort_id = moves.cohort_id
       and periods.child_id = moves.child_id
       and periods.movement = moves.movement
       and periods.period_rank = 1
    left join {{ ref('int_children__characteristics') }} as characteristics
        on characteristics.la_code = moves.la_code
       and characteristics.child_id = moves.child_id

)

select
    cast(la_code as varchar) as la_code,
    cast(as_at_date as date) as as_at_date,
    cast(from_date as date) as from_date,
    cast(to_date as date) as to_date,
    cast(cohort_id as integer) as cohort_id,
    cast(cohort_name as varchar) as cohort_name,
    cast(child_id as varchar) as child_id,
    cast(movement as varchar) as movement,
    cast(reason as varchar) as reason,
    cast(exit_route as varchar) as exit_route,
    cast(left_care_on as date) as left_care_on
from final
