-- Adoption scorecard per LA and collection year of adoption (docs/measures.md#timeliness): A1, A2, A10 means
-- over children with a value, A3 = share of A1 children with A1 < var adoption_a1_threshold_days (426), and the same pooled
-- over all children adopted in the three collection years ending with the year.
-- complete (yearly figures) / complete_3yr (rolling figures): false when a year counted begins
-- before the coverage start C (adoptions missing) or a child counted has an unknown period start.
-- partial: the year has not ended on D.
with timeliness as (

    select * from {{ ref('adoption_timeliness') }}

),

years as (

    select distinct la_code, collection_year_start, collection_year, coverage_start, as_at_date
    from timeliness

),

yearly as (

    select
        la_code,
        collection_year_start,
        count(*) as children_adopted,
        avg(cast(a1_days as double precision)) as a1_mean,
        avg(cast(a2_days as double precision)) as a2_mean,
        avg(cast(a10_days as double precision)) as a10_mean,
        avg(case when a1_days is null then null when a1_days < {{ var('adoption_a1_threshold_days') }} then 100.0 else 0.0 end) as a3_share,
        sum(case when complete then 0 else 1 end) as children_incomplete
    from timeliness
    group by la_code, collection_year_start

),

rolling as (

    select
        years.la_code,
        years.collection_year_start,
        count(*) as children_adopted_3yr,
        avg(cast(timeliness.a1_days as double precision)) as a1_mean_3yr,
        avg(cast(timeliness.a2_days as double precision)) as a2_mean_3yr,
        avg(cast(timeliness.a10_days as double precision)) as a10_mean_3yr,
        avg(case when timeliness.a1_days is null then null when timeliness.a1_days < {{ var('adoption_a1_threshold_days') }} then 100.0 else 0.0 end) as a3_share_3yr,
        sum(case when timeliness.complete then 0 else 1 end) as children_incomplete_3yr
    from years
    inner join timeliness
        on timeliness.la_code = years.la_code
       and timeliness.collection_year_start between years.collection_year_start - 2 and years.collection_year_start
    group by years.la_code, years.collection_year_start

)

select
    cast(years.la_code as varchar) as la_code,
    cast(years.collection_year as varchar) as collection_year,
    cast(yearly.children_adopted as bigint) as children_adopted,
    cast(yearly.a1_mean as double precision) as a1_mean,
    cast(yearly.a2_mean as double precision) as a2_mean,
    cast(yearly.a10_mean as double precision) as a10_mean,
    cast(yearly.a3_share as double precision) as a3_share,
    cast(rolling.children_adopted_3yr as bigint) as children_adopted_3yr,
    cast(rolling.a1_mean_3yr as double precision) as a1_mean_3yr,
    cast(rolling.a2_mean_3yr as double precision) as a2_mean_3yr,
    cast(rolling.a10_mean_3yr as double precision) as a10_mean_3yr,
    cast(rolling.a3_share_3yr as double precision) as a3_share_3yr,
    cast(yearly_reason.reason is null as boolean) as complete,
    cast(yearly_reason.reason as varchar) as incomplete_reason,
    cast(rolling_reason.reason is null as boolean) as complete_3yr,
    cast(rolling_reason.reason as varchar) as incomplete_reason_3yr,
    cast({{ is_partial_year('years.collection_year_start', 'years.as_at_date') }} as boolean) as partial
from years
inner join yearly
    on yearly.la_code = years.la_code and yearly.collection_year_start = years.collection_year_start
inner join rolling
    on rolling.la_code = years.la_code and rolling.collection_year_start = years.collection_year_start
cross join lateral (
    select case
        when not {{ history_covered(collection_year_start_date('years.collection_year_start'), 'years.coverage_start') }}
            then 'year begins before the coverage start'
        when yearly.children_incomplete > 0
            then 'period start unknown (before the coverage start or a broken chain)'
    end as reason
) as yearly_reason
cross join lateral (
    select case
        when not {{ history_covered(collection_year_start_date('years.collection_year_start - 2'), 'years.coverage_start') }}
            then 'three years begin before the coverage start'
        when rolling.children_incomplete_3yr > 0
            then 'period start unknown (before the coverage start or a broken chain)'
    end as reason
) as rolling_reason
