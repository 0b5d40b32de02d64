-- Care proceedings (primer section 5): per LA and collection year of the final order, proceedings
-- concluded, mean weeks from issue to final order and the share within 26 weeks (182 days).
-- One 'not available' row per LA (at the collection year of D) when the LA sent no care
-- proceedings extract.
with reporting as (

    select * from {{ ref('int_la__reporting_dates') }}

),

proceedings as (

    select * from {{ ref('stg_extras__care_proceedings') }}

),

available as (

    select distinct la_code from proceedings

),

concluded as (

    select
        proceedings.la_code,
        {{ collection_year_start('proceedings.final_order_date') }} as order_year,
        {{ days_between('proceedings.proceedings_issue_date', 'proceedings.final_order_date') }} as days_to_final_order
    from proceedings
    inner join reporting on reporting.la_code = proceedings.la_code
    where proceedings.final_order_date is not null
      and proceedings.proceedings_issue_date is not null
      and proceedings.final_order_date <= reporting.as_at_date

)

select
    cast(la_code as varchar) as la_code,
    cast({{ collection_year_label('order_year') }} as varchar) as collection_year,
    cast('available' as varchar) as status,
    cast(count(*) as bigint) as proceedings_concluded,
    cast(avg(days_to_final_order / 7.0) as double precision) as mean_weeks_to_final_order,
    cast(sum(case when days_to_final_order <= 182 then 1 else 0 end) as bigint) as within_26_weeks,
    cast(avg(case when days_to_final_order <= 182 then 1.0 else 0.0 end) as double precision) as share_within_26_weeks
from concluded
group by la_code, order_year

union all

select
    cast(reporting.la_code as varchar),
    cast({{ collection_year_label(collection_year_start('reporting.as_at_date')) }} as varchar),
    cast('not available' as varchar),
    cast(null as bigint),
    cast(null as double precision),
    cast(null as bigint),
    cast(null as double precision)
from reporting
where reporting.la_code not in (select la_code from available)
