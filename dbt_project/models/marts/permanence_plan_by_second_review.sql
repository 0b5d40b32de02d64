-- Permanence plan by the second review (primer section 5), per LA and collection year of the
-- second review: children whose period of care (not a short break) had a second review in the
-- year, and of those, children with a permanence plan (care plan extract, a plan code) starting on
-- or before that review. One 'not available' row per LA (at the collection year of D) when the LA
-- sent no care plan extract. Periods whose first episode is a short break are left out (the
-- episode in question for a start).
-- complete: false for a year that begins before the coverage start C, or when a counted period's
-- start is unknown (its reviews before C are missing, so the second review seen may not be the
-- second). partial: the year has not ended on D.
with reporting as (

    select * from {{ ref('int_la__reporting_dates') }}

),

plans as (

    select * from {{ ref('stg_extras__cla_care_plan') }}
    where permanence_plan is not null

),

available as (

    select distinct la_code from {{ ref('stg_extras__cla_care_plan') }}

),

periods as (

    select * from {{ ref('int_periods_of_care') }}
    where not starts_on_short_break

),

period_reviews as (

    select
        periods.la_code,
        periods.child_id,
        periods.period_number,
        periods.period_start,
        periods.period_end,
        periods.period_start_unknown,
        reviews.review_date,
        row_number() over (
            partition by periods.la_code, periods.child_id, periods.period_number order by reviews.review_date
        ) as review_number
    from periods
    inner join {{ ref('stg_ssda903__reviews') }} as reviews
        on reviews.la_code = periods.la_code
       and reviews.child_id = periods.child_id
       and reviews.review_date >= periods.period_start
       and (periods.period_end is null or reviews.review_date <= periods.period_end)
    inner join available on available.la_code = periods.la_code

),

second_reviews as (

    select
        period_reviews.*,
        {{ collection_year_start('period_reviews.review_date') }} as review_year,
        (
            select min(plans.care_plan_start_date)
            from plans
            where plans.la_code = period_reviews.la_code
              and plans.child_id = period_reviews.child_id
              and (plans.care_plan_end_date is null or plans.care_plan_end_date >= period_reviews.period_start)
              and (period_reviews.period_end is null or plans.care_plan_start_date <= period_reviews.period_end)
        ) as first_plan_date
    from period_reviews
    where review_number = 2

),

measured as (

    select
        second_reviews.la_code,
        second_reviews.review_year,
        count(distinct second_reviews.child_id) as children_with_second_review,
        count(distinct case when second_reviews.first_plan_date <= second_reviews.review_date
                            then second_reviews.child_id end) as plan_by_second_review,
        sum(case when second_reviews.period_start_unknown then 1 else 0 end) as periods_start_unknown,
        max(reporting.coverage_start) as coverage_start,
        max(reporting.as_at_date) as as_at_date
    from second_reviews
    inner join reporting on reporting.la_code = second_reviews.la_code
    where second_reviews.review_year <= {{ collection_year_start('reporting.as_at_date') }}
    group by second_reviews.la_code, second_reviews.review_year

)

select
    cast(la_code as varchar) as la_code,
    cast({{ collection_year_label('review_year') }} as varchar) as collection_year,
    cast('available' as varchar) as status,
    cast(children_with_second_review as bigint) as children_with_second_review,
    cast(plan_by_second_review as bigint) as plan_by_second_review,
    cast(1.0 * plan_by_second_review / children_with_second_review as double precision) as share_plan_by_second_review,
    cast(incomplete_reason is null as boolean) as complete,
    cast(incomplete_reason as varchar) as incomplete_reason,
    cast({{ is_partial_year('review_year', 'as_at_date') }} as boolean) as partial
from (
    select
        measured.*,
        case
            when not {{ history_covered(collection_year_start_date('review_year'), 'coverage_start') }}
                then 'year begins before the coverage start'
            when periods_start_unknown > 0
                then 'period start unknown (before the coverage start or a broken chain)'
        end as incomplete_reason
    from measured
) as measured

union all

select
    cast(reporting.la_code as varchar),
    cast({{ collection_year_label(collection_year_start('reporting.as_at_date')) }} as varchar),
    cast('not available' as varchar),
    cast(null as bigint),
    cast(null as bigint),
    cast(null as double precision),
    cast(null as boolean),
    cast('no care plan extract' as varchar),
    cast({{ is_partial_year(collection_year_start('reporting.as_at_date'), 'reporting.as_at_date') }} as boolean)
from reporting
where reporting.la_code not in (select la_code from available)
