-- Care proceedings (docs/measures.md#care-proceedings), per LA and collection year of the final order, counted per
-- set of proceedings (int_care_proceedings__sets), not per child: sets ended with a final order,
-- mean weeks from issue to final order and the share within 26 weeks (182 days); sets withdrawn
-- and sets ended with no order are counted apart and left out of the timeliness. Interim orders do
-- not end a set. Sets still open past 26 weeks are listed in care_proceedings_open.
-- One 'not available' row per LA (at the collection year of D) when the LA sent no care
-- proceedings extract.
with reporting as (

    select * from {{ ref('int_la__reporting_dates') }}

),

available as (

    select distinct la_code from {{ ref('stg_extras__care_proceedings') }}

),

ended as (

    select *, {{ collection_year_start('final_order_date') }} as order_year
    from {{ ref('int_care_proceedings__sets') }}
    where final_order_date is not null

),

yearly as (

    select
        la_code,
        order_year,
        sum(case when outcome = 'order' then 1 else 0 end) as sets_with_final_order,
        sum(case when outcome = 'order' then children else 0 end) as children_with_final_order,
        avg(case when outcome = 'order' then days_to_final_order_or_d / 7.0 end) as mean_weeks_to_final_order,
        sum(case when outcome = 'order' and days_to_final_order_or_d <= 182 then 1 else 0 end) as within_26_weeks,
        sum(case when outcome = 'withdrawn' then 1 else 0 end) as sets_withdrawn,
        sum(case when outcome = 'no order' then 1 else 0 end) as sets_no_order,
        sum(case when outcome = 'not recorded' then 1 else 0 end) as sets_outcome_not_recorded,
        max(coverage_start) as coverage_start,
        max(as_at_date) as as_at_date
    from ended
    group by la_code, order_year

),

final as (

    select
        cast(la_code as varchar) as la_code,
        cast({{ collection_year_label('order_year') }} as varchar) as collection_year,
        cast('available' as varchar) as status,
        cast(sets_with_final_order as bigint) as proceedings_concluded,
        cast(children_with_final_order as bigint) as children_concluded,
        cast(mean_weeks_to_final_order as double precision) as mean_weeks_to_final_order,
        cast(within_26_weeks as bigint) as within_26_weeks,
        cast(case when sets_with_final_order > 0 then 100.0 * within_26_weeks / sets_with_final_order end
             as double precision) as share_within_26_weeks,
        cast(sets_withdrawn as bigint) as proceedings_withdrawn,
        cast(sets_no_order as bigint) as proceedings_no_order,
        cast(sets_outcome_not_recorded as bigint) as proceedings_outcome_not_recorded,
        {{ yearly_coverage_columns('order_year') }}
    from yearly

    union all

    select
        cast(reporting.la_code as varchar),
        cast({{ collection_year_label(collection_year_start('reporting.as_at_date')) }} as varchar),
        cast('not available' as varchar),
        cast(null as bigint),
        cast(null as bigint),
        cast(null as double precision),
        cast(null as bigint),
        cast(null as double precision),
        cast(null as bigint),
        cast(null as bigint),
        cast(null as bigint),
        cast(null as boolean),
        cast('no care proceedings extract' as varchar),
        cast({{ is_partial_year(collection_year_start('reporting.as_at_date'), 'reporting.as_at_date') }} as boolean)
    from reporting
    where reporting.la_code not in (select la_code from available)

)

select * from final
