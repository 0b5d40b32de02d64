-- The SPG's drift watchlist on D (issue 17 point 3): one row per child and rule breached on D, with
-- the date the condition began (since_date), the date it became drift (threshold_date) and the days
-- since each. Thresholds are the dbt vars named below, written once in dbt_project.yml.
--   1 placement order (E1) for longer than placement_order_months, not placed for adoption and the
--     decision not reversed: cohort 2's 'not placed' children (int_cohorts__membership);
--   2 adoption decision reversed (the permanence extract's date, or the 903 PlacedAdoption
--     DATE_PLACED_CEASED) during the child's current E1 span, and still on E1: the order is not yet
--     revoked; drift from the reversal;
--   3 long-term fostering plan with no match (cohort 3) for longer than ltf_unmatched_months from the
--     plan's start;
--   4 care proceedings issued, no final order on D (an interim C1 order does not end them), open
--     more than proceedings_open_days; per child, looked after or not;
--   5 SGO or CAO plan (Annex A LTRELFR) current on D, with no SGO/CAO order dated since the plan
--     began, for longer than sgo_cao_plan_months;
--   6 statutory review overdue on D (Care Planning Regulations 2010, reg. 33): the first within
--     first_review_working_days working days of the period's start, the second within
--     second_review_months of the first, each later one within later_review_months of the last;
--     overdue when that due date is before D.
-- Rules 1, 2, 3, 5 and 6 concern children looked after on D (not on a short break).
-- complete: false where the figure may reach back past the coverage start C (a condition or period
-- seen to start before C: the days are lower bounds; for rule 6, fewer than two reviews seen in a
-- period that began before C, so the due date may be wrong).
{%- set po_months = var('placement_order_months') %}
with reporting as (

    select * from {{ ref('int_la__reporting_dates') }}

),

children as (

    select * from {{ ref('int_children__on_date') }} where is_current

),

members as (

    select * from {{ ref('int_cohorts__membership') }} where is_current

),

order_not_placed as (

    select
        la_code, child_id, 1 as rule_id,
        condition_start as since_date,
        cast({{ dbt.dateadd('month', po_months, 'condition_start') }} as date) as threshold_date,
        cast(placement_type as varchar) as detail,
        condition_start as reaches_back_to
    from members
    where cohort_id = 2 and cohort_detail = 'not placed'

),

reversals as (

    select la_code, child_id, decision_reversed_date as reversed_date
    from {{ ref('stg_extras__permanence') }}
    where decision_reversed_date is not null
    union all
    select la_code, child_id, adoption_decision_ceased_date
    from {{ ref('stg_ssda903__placed_adoption') }}
    where adoption_decision_ceased_date is not null

),

reversed_not_revoked as (

    select
        children.la_code, children.child_id, 2 as rule_id,
        max(reversals.reversed_date) as since_date,
        max(reversals.reversed_date) as threshold_date,
        cast('on E1 since ' || cast(children.legal_status_span_start as varchar) as varchar) as detail,
        min(children.legal_status_span_start) as reaches_back_to
    from children
    inner join reversals
        on reversals.la_code = children.la_code
       and reversals.child_id = children.child_id
       and reversals.reversed_date >= children.legal_status_span_start
       and reversals.reversed_date <= children.reporting_date
    where children.legal_status = 'E1'
    group by children.la_code, children.child_id, children.legal_status_span_start

),

ltf_unmatched as (

    select
        la_code, child_id, 3 as rule_id,
        condition_start as since_date,
        cast({{ dbt.dateadd('month', var('ltf_unmatched_months'), 'condition_start') }} as date) as threshold_date,
        cast(permanence_plan as varchar) as detail,
        condition_start as reaches_back_to
    from members
    where cohort_id = 3
      and {{ longer_than_months('condition_start', var('ltf_unmatched_months'), 'reporting_date') }}

),

proceedings_open as (

    select
        proceedings.la_code, proceedings.child_id, 4 as rule_id,
        proceedings.proceedings_issue_date as since_date,
        cast({{ dbt.dateadd('day', var('proceedings_open_days'), 'proceedings.proceedings_issue_date') }} as date) as threshold_date,
        cast(null as varchar) as detail,
        proceedings.proceedings_issue_date as reaches_back_to
    from {{ ref('stg_extras__care_proceedings') }} as proceedings
    inner join reporting on reporting.la_code = proceedings.la_code
    where proceedings.proceedings_issue_date <= reporting.as_at_date
    group by proceedings.la_code, proceedings.child_id, proceedings.proceedings_issue_date, reporting.as_at_date
    -- open on D: none of the child's rows of this application has a final order known on D
    having max(case when proceedings.final_order_date <= reporting.as_at_date
                     and coalesce(proceedings.final_order_type, '') <> 'C1' then 1 else 0 end) = 0
       and {{ days_between('proceedings.proceedings_issue_date', 'reporting.as_at_date') }} > {{ var('proceedings_open_days') }}

),

-- The care plan current on D and when it began (the macro: as cohort 3 reads plans).
plans as (

    {{ care_plan_runs() }}

),

current_plans as (

    select *
    from (
        select
            children.la_code, children.child_id, children.reporting_date, children.period_start,
            plan_runs.permanence_plan,
            plan_runs.plan_began,
            row_number() over (
                partition by children.la_code, children.child_id
                order by plan_runs.care_plan_start_date desc, plan_runs.source_row desc
            ) as plan_rank
        from children
        inner join plans as plan_runs
            on plan_runs.la_code = children.la_code
           and plan_runs.child_id = children.child_id
           and {{ looked_after_on('plan_runs.care_plan_start_date', 'plan_runs.care_plan_end_date', 'children.reporting_date') }}
    ) as ranked
    where plan_rank = 1

),

sgo_cao_no_order as (

    select
        current_plans.la_code, current_plans.child_id, 5 as rule_id,
        current_plans.plan_began as since_date,
        cast({{ dbt.dateadd('month', var('sgo_cao_plan_months'), 'current_plans.plan_began') }} as date) as threshold_date,
        cast(current_plans.permanence_plan as varchar) as detail,
        current_plans.plan_began as reaches_back_to
    from current_plans
    where current_plans.permanence_plan = 'LTRELFR'
      and {{ longer_than_months('current_plans.plan_began', var('sgo_cao_plan_months'), 'current_plans.reporting_date') }}
      and not exists (
        select 1 from {{ ref('stg_extras__permanence') }} as perm
        where perm.la_code = current_plans.la_code
          and perm.child_id = current_plans.child_id
          and perm.permanence_order_type in ('SGO', 'CAO')
          and perm.permanence_order_date >= current_plans.plan_began
          and perm.permanence_order_date <= current_plans.reporting_date
      )

),

reviews_seen as (

    select
        children.la_code, children.child_id, children.period_start, children.reporting_date,
        count(reviews.review_date) as reviews_held,
        min(reviews.review_date) as first_review,
        max(reviews.review_date) as last_review
    from children
    left join {{ ref('stg_ssda903__reviews') }} as reviews
        on reviews.la_code = children.la_code
       and reviews.child_id = children.child_id
       and reviews.review_date >= children.period_start
       and reviews.review_date <= children.reporting_date
    group by children.la_code, children.child_id, children.period_start, children.reporting_date

),

reviews_due as (

    select
        *,
        case
            when reviews_held = 0 then {{ add_working_days('period_start', var('first_review_working_days')) }}
            when reviews_held = 1 then cast({{ dbt.dateadd('month', var('second_review_months'), 'first_review') }} as date)
            else cast({{ dbt.dateadd('month', var('later_review_months'), 'last_review') }} as date)
        end as due_date
    from reviews_seen

),

review_overdue as (

    select
        la_code, child_id, 6 as rule_id,
        coalesce(last_review, period_start) as since_date,
        due_date as threshold_date,
        cast(case reviews_held when 0 then 'first review' when 1 then 'second review'
                  else 'review ' || cast(reviews_held + 1 as varchar) end as varchar) as detail,
        -- the reviews before C are unseen: with fewer than two seen, which review is due is not known
        case when reviews_held < 2 then period_start else coalesce(last_review, period_start) end as reaches_back_to
    from reviews_due
    where due_date < reporting_date

),

breaches as (

    select * from order_not_placed
    union all select * from reversed_not_revoked
    union all select * from ltf_unmatched
    union all select * from proceedings_open
    union all select * from sgo_cao_no_order
    union all select * from review_overdue

)

select
    cast(breaches.la_code as varchar) as la_code,
    cast(reporting.as_at_date as date) as as_at_date,
    cast(breaches.rule_id as integer) as rule_id,
    cast(rules.rule as varchar) as rule,
    cast(breaches.child_id as varchar) as child_id,
    cast(breaches.since_date as date) as since_date,
    {{ days_between('breaches.since_date', 'reporting.as_at_date') }} as days_since,
    cast(breaches.threshold_date as date) as threshold_date,
    {{ days_between('breaches.threshold_date', 'reporting.as_at_date') }} as days_past_threshold,
    cast(breaches.detail as varchar) as detail,
    cast(coverage.reason is null as boolean) as complete,
    cast(coverage.reason as varchar) as incomplete_reason
from breaches
inner join reporting on reporting.la_code = breaches.la_code
inner join ({{ drift_rules_relation() }}) as rules on rules.rule_id = breaches.rule_id
cross join lateral (
    select case
        when reporting.coverage_start is not null and breaches.reaches_back_to < reporting.coverage_start
            then 'starts before the coverage start: the days are lower bounds'
                 || case when breaches.rule_id = 6 then ' and earlier reviews are unseen' else '' end
    end as reason
) as coverage
