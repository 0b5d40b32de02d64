-- The adoption pipeline per LA and collection year of adoption (issue 12 point 7): days between
-- the stages of each adopted child's journey (int_adoption__stages), mean and median over the
-- children with both dates, beside DfE's national average for the same stage where the reference
-- file is loaded (reference.adoption_stage_timings, all ages, printed years:months).
-- A gap whose later stage came first (matched before the placement order, as for foster carers
-- adopting) is 0 days, as A2: the stage took no time. A gap with a date missing leaves that child
-- out of that gap's figures; the count each figure rests on is beside it and stage_dates_missing
-- names the gaps with children left out; with no child to rest on, the mean is null, never 0.
-- complete: false when the year begins before the coverage start C (adoptions missing) or a child
-- counted has an unknown period start (entry to care, and every gap from it, unknown).
-- partial: the year has not ended on D.
{%- set gaps = [
    ('entry_to_decision', 'date_entered_care', 'date_decision', 1),
    ('decision_to_placement_order', 'date_decision', 'date_placement_order', none),
    ('placement_order_to_match', 'date_placement_order', 'date_match', none),
    ('decision_to_match', 'date_decision', 'date_match', 2),
    ('match_to_placed', 'date_match', 'date_placed_for_adoption', 3),
    ('entry_to_placed', 'date_entered_care', 'date_placed_for_adoption', 4),
    ('placed_to_adopted', 'date_placed_for_adoption', 'date_adopted', 5),
    ('entry_to_adopted', 'date_entered_care', 'date_adopted', 6),
] %}
with adopted as (

    select *
    from {{ ref('int_adoption__stages') }}
    where adopted
      and adopted_year_start <= {{ collection_year_start('as_at_date') }}

),

gaps as (

    select
        adopted.*,
        {%- for name, start, finish, _ in gaps %}
        case when {{ start }} is not null and {{ finish }} is not null
             then greatest(0, {{ days_between(start, finish) }}) end as {{ name }}_days,
        {%- endfor %}
        case when birth_month is not null
             then {{ whole_months_between('birth_month', 'date_adopted') }} end as age_at_adoption_months
    from adopted

),

yearly as (

    select
        la_code,
        adopted_year_start,
        min(coverage_start) as coverage_start,
        min(as_at_date) as as_at_date,
        count(*) as children_adopted,
        {%- for name, _, _, _ in gaps %}
        count({{ name }}_days) as {{ name }}_children,
        avg(cast({{ name }}_days as double precision)) as {{ name }}_mean_days,
        percentile_cont(0.5) within group (order by {{ name }}_days) as {{ name }}_median_days,
        {%- endfor %}
        count(age_at_adoption_months) as age_at_adoption_children,
        avg(cast(age_at_adoption_months as double precision)) as mean_age_at_adoption_months,
        sum(case when period_start_unknown then 1 else 0 end) as children_start_unknown
    from gaps
    group by la_code, adopted_year_start

),

national as (

    -- DfE's figures are for the year ending 31 March time_period: collection year Y is time_period Y + 1
    select
        time_period - 1 as adopted_year_start,
        {%- for name, _, _, stage in gaps if stage %}
        max(case when stage = '{{ name }}' then value end) as national_{{ name }}_months,
        max(case when stage = '{{ name }}' then number_as_printed end) as national_{{ name }}_printed{{ ',' if not loop.last }}
        {%- endfor %}
    from {{ ref('stg_reference__adoption_stage_timings') }}
    where geographic_level = 'national' and age_group = 'Total'
    group by time_period

)

select
    cast(yearly.la_code as varchar) as la_code,
    cast({{ collection_year_label('yearly.adopted_year_start') }} as varchar) as collection_year,
    cast(yearly.children_adopted as bigint) as children_adopted,
    {%- for name, _, _, stage in gaps %}
    cast(yearly.{{ name }}_children as bigint) as {{ name }}_children,
    cast(yearly.{{ name }}_mean_days as double precision) as {{ name }}_mean_days,
    cast(yearly.{{ name }}_median_days as double precision) as {{ name }}_median_days,
    {%- if stage %}
    cast(national.national_{{ name }}_months as double precision) as national_{{ name }}_months,
    cast(national.national_{{ name }}_printed as varchar) as national_{{ name }}_printed,
    {%- endif %}
    {%- endfor %}
    cast(yearly.age_at_adoption_children as bigint) as age_at_adoption_children,
    cast(yearly.mean_age_at_adoption_months as double precision) as mean_age_at_adoption_months,
    cast(nullif(concat_ws('; '
        {%- for name, _, _, _ in gaps %},
        case when yearly.{{ name }}_children < yearly.children_adopted
             then '{{ name }}: ' || cast(yearly.children_adopted - yearly.{{ name }}_children as varchar)
                  || ' of ' || cast(yearly.children_adopted as varchar) || ' without both dates' end
        {%- endfor %}
    ), '') as varchar) as stage_dates_missing,
    cast(reason.reason is null as boolean) as complete,
    cast(reason.reason as varchar) as incomplete_reason,
    cast({{ is_partial_year('yearly.adopted_year_start', 'yearly.as_at_date') }} as boolean) as partial
from yearly
left join national
    on national.adopted_year_start = yearly.adopted_year_start
cross join lateral (
    select case
        when not {{ history_covered(collection_year_start_date('yearly.adopted_year_start'), 'yearly.coverage_start') }}
            then 'year begins before the coverage start'
        when yearly.children_start_unknown > 0
            then 'period start unknown (before the coverage start or a broken chain)'
    end as reason
) as reason
