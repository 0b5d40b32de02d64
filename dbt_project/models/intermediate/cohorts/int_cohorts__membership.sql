-- SPG cohort membership (docs/measures.md#spg-cohorts) on each reporting date: one row per LA, date,
-- cohort and child. A child can be in several cohorts.
{%- set po_months = var('placement_order_months') %}
{%- set long_months = var('long_placement_months') %}
with children as (

    select * from {{ ref('int_children__on_date') }} where {{ la_needs_build() }}

),

no_pr_open as (

    select children.la_code, children.reporting_date, children.child_id, min(no_pr.no_pr_start_date) as no_pr_start_date
    from children
    inner join {{ ref('stg_extras__no_parental_responsibility') }} as no_pr
        on no_pr.la_code = children.la_code
       and no_pr.child_id = children.child_id
       and {{ looked_after_on('no_pr.no_pr_start_date', 'no_pr.no_pr_end_date', 'children.reporting_date') }}
    group by children.la_code, children.reporting_date, children.child_id

),

plans as (

    {{ care_plan_runs() }}

),

plans_ranked as (

    select
        children.la_code,
        children.reporting_date,
        children.child_id,
        plans.permanence_plan,
        plans.care_plan_start_date,
        plans.plan_began,
        row_number() over (
            partition by children.la_code, children.reporting_date, children.child_id
            order by plans.care_plan_start_date desc, plans.source_row desc
        ) as plan_rank
    from children
    inner join plans
        on plans.la_code = children.la_code
       and plans.child_id = children.child_id
       and {{ looked_after_on('plans.care_plan_start_date', 'plans.care_plan_end_date', 'children.reporting_date') }}

),

current_plans as (

    select * from plans_ranked where plan_rank = 1

),

-- Every milestone row of the child counts (a child has several over time), as known on the date.
-- Cohort 3's match: a match dated in the current period, on or after the current plan began;
-- an old match from an earlier period or plan does not count.
permanence_flags as (

    select
        children.la_code,
        children.reporting_date,
        children.child_id,
        max(case when perm.matched_date <= children.reporting_date
                  and perm.matched_date >= children.period_start
                  and perm.matched_date >= current_plans.plan_began then 1 else 0 end) as has_match_since_plan,
        max(case when perm.decision_reversed_date <= children.reporting_date then 1 else 0 end) as decision_reversed
    from children
    inner join {{ ref('stg_extras__permanence') }} as perm
        on perm.la_code = children.la_code
       and perm.child_id = children.child_id
    left join current_plans
        on current_plans.la_code = children.la_code
       and current_plans.reporting_date = children.reporting_date
       and current_plans.child_id = children.child_id
    group by children.la_code, children.reporting_date, children.child_id

),

-- The 903's own record of a reversed adoption decision (PlacedAdoption DATE_PLACED_CEASED) in the
-- current period, beside the permanence extract's.
adoption_decision_reversed as (

    select distinct children.la_code, children.reporting_date, children.child_id
    from children
    inner join {{ ref('stg_ssda903__placed_adoption') }} as placed
        on placed.la_code = children.la_code
       and placed.child_id = children.child_id
       and placed.adoption_decision_ceased_date <= children.reporting_date
       and placed.adoption_decision_ceased_date >= children.period_start

),

enriched as (

    select
        children.*,
        no_pr_open.no_pr_start_date,
        current_plans.permanence_plan,
        current_plans.care_plan_start_date,
        current_plans.plan_began,
        coalesce(permanence_flags.has_match_since_plan, 0) as has_match_since_plan,
        case when permanence_flags.decision_reversed = 1 or adoption_decision_reversed.child_id is not null
             then 1 else 0 end as decision_reversed
    from children
    left join no_pr_open
        on no_pr_open.la_code = children.la_code
       and no_pr_open.reporting_date = children.reporting_date
       and no_pr_open.child_id = children.child_id
    left join current_plans
        on current_plans.la_code = children.la_code
       and current_plans.reporting_date = children.reporting_date
       and current_plans.child_id = children.child_id
    left join permanence_flags
        on permanence_flags.la_code = children.la_code
       and permanence_flags.reporting_date = children.reporting_date
       and permanence_flags.child_id = children.child_id
    left join adoption_decision_reversed
        on adoption_decision_reversed.la_code = children.la_code
       and adoption_decision_reversed.reporting_date = children.reporting_date
       and adoption_decision_reversed.child_id = children.child_id

),

members as (

    select *, 1 as cohort_id,
        case when legal_status = 'D1' then legal_status_span_start else no_pr_start_date end as condition_start,
        cast(null as varchar) as cohort_detail
    from enriched
    where legal_status = 'D1' or no_pr_start_date is not null

    union all

    select *, 2 as cohort_id, legal_status_span_start as condition_start,
        case
            when placement_type in ('A5', 'A6') then 'placed with adopters'
            when decision_reversed = 1 then 'decision reversed'
            else 'not placed'
        end as cohort_detail
    from enriched
    where legal_status = 'E1'
      and {{ longer_than_months('legal_status_span_start', po_months, 'reporting_date') }}

    union all

    select *, 3 as cohort_id, plan_began as condition_start, cast(null as varchar) as cohort_detail
    from enriched
    where legal_status = 'C2'
      and permanence_plan in ('LTFOST18', 'LTRELFR')
      and (placement_type is null or placement_type not in ('U1', 'U4'))
      and has_match_since_plan = 0

    union all

    select *, 4 as cohort_id, placement_start as condition_start,
        case when placement_type in ('U1', 'U2', 'U3') then 'relative or friend carer'
             else 'other foster carer' end as cohort_detail
    from enriched
    where placement_type in ('U1', 'U2', 'U3', 'U4', 'U5', 'U6')
      and {{ longer_than_months('placement_start', long_months, 'reporting_date') }}

    union all

    select *, 5 as cohort_id, placement_start as condition_start, cast(null as varchar) as cohort_detail
    from enriched
    where placement_type = 'P1'
      and {{ longer_than_months('placement_start', long_months, 'reporting_date') }}

    union all

    select *, 6 as cohort_id, placement_start as condition_start, cast(null as varchar) as cohort_detail
    from enriched
    where placement_type in ('K1', 'K2', 'R1', 'S1')
      and placement_provider in ('PR2', 'PR3', 'PR4', 'PR5')
      and {{ longer_than_months('placement_start', long_months, 'reporting_date') }}

),

final as (

    select
        members.la_code,
        members.reporting_date,
        members.is_current,
        cast(members.cohort_id as integer) as cohort_id,
        cohorts.cohort_name,
        members.child_id,
        members.condition_start,
        {{ whole_months_between('members.condition_start', 'members.reporting_date') }} as months_in_condition,
        members.cohort_detail,
        members.legal_status,
        members.placement_type,
        members.placement_provider,
        members.period_start,
        members.placement_start,
        members.legal_status_span_start,
        members.permanence_plan,
        members.care_plan_start_date
    from members
    inner join ({{ spg_cohorts_relation() }}) as cohorts
        on cohorts.cohort_id = members.cohort_id

)

{{ select_with_build_columns('final') }}
