-- The SPG tracker: one row per child and cohort they are in on the reporting date D
-- (docs/measures.md#spg-cohorts). A child in several cohorts has one row for each.
-- complete: false when the condition or the period is seen to start before the coverage start C:
-- the true start may be earlier, so months_in_condition and reviews_this_period are lower bounds.
with members as (

    select *
    from {{ ref('int_cohorts__membership') }}
    where is_current

),

reporting as (

    select * from {{ ref('int_la__reporting_dates') }}

),

reviews as (

    select
        members.la_code,
        members.child_id,
        members.cohort_id,
        max(reviews.review_date) as latest_review_date,
        count(*) as reviews_this_period
    from members
    inner join {{ ref('stg_ssda903__reviews') }} as reviews
        on reviews.la_code = members.la_code
       and reviews.child_id = members.child_id
       and reviews.review_date >= members.period_start
       and reviews.review_date <= members.reporting_date
    group by members.la_code, members.child_id, members.cohort_id

),

permanence as (

    select *
    from (
        select
            perm.*,
            row_number() over (
                partition by perm.la_code, perm.child_id
                order by coalesce(perm.adm_decision_date, perm.placement_order_date, perm.matched_date) desc,
                         perm.source_row desc
            ) as row_rank
        from {{ ref('stg_extras__permanence') }} as perm
        inner join reporting on reporting.la_code = perm.la_code
        where coalesce(perm.adm_decision_date, perm.placement_order_date, perm.matched_date, perm.placed_for_adoption_date)
              <= reporting.as_at_date
    ) as ranked
    where row_rank = 1

)

select
    cast(members.la_code as varchar) as la_code,
    cast(members.reporting_date as date) as as_at_date,
    cast(members.cohort_id as integer) as cohort_id,
    cast(members.cohort_name as varchar) as cohort_name,
    cast(members.child_id as varchar) as child_id,
    cast(members.condition_start as date) as condition_start,
    cast(members.months_in_condition as integer) as months_in_condition,
    cast(members.cohort_detail as varchar) as cohort_detail,
    cast(members.legal_status as varchar) as legal_status,
    cast(members.placement_type as varchar) as placement_type,
    cast(members.placement_provider as varchar) as placement_provider,
    cast(members.period_start as date) as period_start,
    cast(members.placement_start as date) as placement_start,
    cast(members.legal_status_span_start as date) as legal_status_span_start,
    cast(characteristics.age_on_as_at_date as integer) as age_on_as_at_date,
    cast(members.permanence_plan as varchar) as permanence_plan,
    cast(members.care_plan_start_date as date) as care_plan_start_date,
    cast(reviews.latest_review_date as date) as latest_review_date,
    cast(coalesce(reviews.reviews_this_period, 0) as integer) as reviews_this_period,
    -- the milestones known on D: a date after D is read as not yet reached
    cast(case when permanence.adm_decision_date <= members.reporting_date then permanence.adm_decision_date end as date) as adm_decision_date,
    cast(case when permanence.placement_order_date <= members.reporting_date then permanence.placement_order_date end as date) as placement_order_date,
    cast(case when permanence.matched_date <= members.reporting_date then permanence.matched_date end as date) as matched_date,
    cast(case when permanence.placed_for_adoption_date <= members.reporting_date then permanence.placed_for_adoption_date end as date) as placed_for_adoption_date,
    cast(case when permanence.decision_reversed_date <= members.reporting_date then permanence.decision_reversed_date end as date) as decision_reversed_date,
    cast(coverage.reason is null as boolean) as complete,
    cast(coverage.reason as varchar) as incomplete_reason
from members
left join reporting as member_reporting on member_reporting.la_code = members.la_code
cross join lateral (
    select case
        when member_reporting.coverage_start is not null
         and least(coalesce(members.condition_start, members.period_start), members.period_start)
             < member_reporting.coverage_start
            then 'condition or period seen to start before the coverage start: months and reviews are lower bounds'
    end as reason
) as coverage
left join {{ ref('int_children__characteristics') }} as characteristics
    on characteristics.la_code = members.la_code
   and characteristics.child_id = members.child_id
left join reviews
    on reviews.la_code = members.la_code
   and reviews.child_id = members.child_id
   and reviews.cohort_id = members.cohort_id
left join permanence
    on permanence.la_code = members.la_code
   and permanence.child_id = members.child_id
