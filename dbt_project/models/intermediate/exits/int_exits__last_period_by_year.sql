-- Each child's exit of a collection year (docs/measures.md#exit-routes): the last period (latest end) that
-- ended in the year, its last episode not a short break; years up to the collection year of D.
-- One row per LA, child and year: exits_by_year counts it by route, exits_by_reason by REC.
with periods as (

    select *
    from {{ ref('int_episodes__periods_of_care') }}
    where not ends_on_short_break
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
    la_code,
    child_id,
    end_year,
    period_start,
    period_end,
    reason_ceased,
    exit_route,
    coverage_start,
    as_at_date
from ranked
where exit_rank = 1
