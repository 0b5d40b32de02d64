-- Children leaving care per LA, collection year and exit route (primer section 5): each child
-- counted once a year, by their last period (latest end) that ended in the year. Short-break
-- periods are left out. Years up to the collection year of D; only routes with children.
with periods as (

    select *
    from {{ ref('int_periods_of_care') }}
    where not is_short_break
      and period_end is not null
      and end_year <= {{ collection_year_start('as_at_date') }}

),

ranked as (

    select
        *,
        row_number() over (
            partition by la_code, child_id, end_year order by period_end desc, period_start desc
        ) as exit_rank
    from periods

)

select
    cast(la_code as varchar) as la_code,
    cast({{ collection_year_label('end_year') }} as varchar) as collection_year,
    cast(exit_route as varchar) as exit_route,
    cast(count(*) as bigint) as children
from ranked
where exit_rank = 1
group by la_code, end_year, exit_route
