-- Permanence plan by the second review (docs/measures.md#permanence-plan-by-second-review), per LA and collection year of the
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

    select * from {{ ref('int_la__reporting_dates') }}

),

plans as (

    select * from {{ ref('stg_extras__cla_care_plan') }}

),

available as (

    select distinct la_code from plans

),

periods as (

    select periods.*
    from {{ ref('int_episodes__periods_of_care') }} as periods
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
    inner join {{ ref('stg_ssda903__reviews') }} as reviews
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
        cast({{ dbt.dateadd('month', var('second_review_months'),
                            "coalesce(first_review.review_date, "
                            ~ add_working_days('periods.period_start', var('first_review_working_days')) ~ ")") }}
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
        {{ collection_year_start('due.period_start') }} as start_year,
        due.second_review_date is null as second_review_overdue,
        coalesce(plan_at_second_review.permanence_plan in (
            {%- for code in var('permanence_plan_codes') %}'{{ code }}'{{ ', ' if not loop.last }}{% endfor -%}
        ), false) as plan_met
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
        cast({{ collection_year_label('start_year') }} as varchar) as collection_year,
        cast('available' as varchar) as status,
        cast(periods_due_second_review as bigint) as periods_due_second_review,
        cast(plan_by_second_review as bigint) as plan_by_second_review,
        cast(second_review_overdue as bigint) as second_review_overdue,
        cast(100.0 * plan_by_second_review / periods_due_second_review as double precision) as share_plan_by_second_review,
        cast(incomplete_reason is null as boolean) as complete,
        cast(incomplete_reason as varchar) as incomplete_reason,
        cast({{ is_partial_year('start_year', 'as_at_date') }} as boolean) as partial
    from (
        select
            measured.*,
            case
                when not {{ history_covered(collection_year_start_date('start_year'), 'coverage_start') }}
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
        cast(null as bigint),
        cast(null as double precision),
        cast(null as boolean),
        cast('no care plan extract' as varchar),
        cast({{ is_partial_year(collection_year_start('reporting.as_at_date'), 'reporting.as_at_date') }} as boolean)
    from reporting
    where reporting.la_code not in (select la_code from available)

)

select * from final
