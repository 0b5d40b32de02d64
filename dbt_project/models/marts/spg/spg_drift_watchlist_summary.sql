-- Children on the drift watchlist per LA and rule on D (issue 17 point 3): every rule on every LA's
-- row, 0 where none. A rule the LA's extracts cannot test has a null count and 'not available: ...'
-- (never 0): rules 3 and 5 need the care plan extract, rule 4 the care proceedings extract.
with watchlist as (

    select
        la_code, rule_id,
        count(distinct child_id) as children,
        count(distinct case when not complete then child_id end) as children_incomplete,
        max(days_past_threshold) as longest_days_past_threshold
    from {{ ref('spg_drift_watchlist') }}
    group by la_code, rule_id

),

las as (

    select la_code, as_at_date from {{ ref('int_la__reporting_dates') }}

),

missing as (

    select las.la_code, rules.rule_id, 'not available: no care plan extract' as reason
    from las
    cross join (select 3 as rule_id union all select 5) as rules
    where las.la_code not in (select la_code from {{ ref('stg_extras__cla_care_plan') }})
    union all
    select las.la_code, 4, 'not available: no care proceedings extract'
    from las
    where las.la_code not in (select la_code from {{ ref('stg_extras__care_proceedings') }})

)

select
    cast(las.la_code as varchar) as la_code,
    cast(las.as_at_date as date) as as_at_date,
    cast(rules.rule_id as integer) as rule_id,
    cast(rules.rule as varchar) as rule,
    cast(case when missing.reason is null then coalesce(watchlist.children, 0) end as bigint) as children,
    cast(case when missing.reason is null then coalesce(watchlist.children_incomplete, 0) end as bigint) as children_incomplete,
    cast(watchlist.longest_days_past_threshold as integer) as longest_days_past_threshold,
    cast(missing.reason is null and coalesce(watchlist.children_incomplete, 0) = 0 as boolean) as complete,
    cast(coalesce(missing.reason,
                  case when watchlist.children_incomplete > 0
                       then 'some children''s days reach back before the coverage start' end) as varchar) as incomplete_reason
from las
cross join ({{ drift_rules_relation() }}) as rules
left join watchlist
    on watchlist.la_code = las.la_code
   and watchlist.rule_id = rules.rule_id
left join missing
    on missing.la_code = las.la_code
   and missing.rule_id = rules.rule_id
