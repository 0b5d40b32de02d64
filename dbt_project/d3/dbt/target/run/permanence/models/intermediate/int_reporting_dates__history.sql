
    

    create  table
      "permanence"."intermediate"."int_reporting_dates__history__dbt_tmp"
  
    
    as (
      -- Per LA: the reporting date D (is_current) and the var('history_months') month ends before D,
-- for trend lines.
with reporting as (

    select * from "permanence"."intermediate"."int_la__reporting_dates"

),

spine as (

    select units.n + 10 * tens.n + 100 * hundreds.n as n
    from (select 0 as n union all select 1 union all select 2 union all select 3 union all select 4
          union all select 5 union all select 6 union all select 7 union all select 8 union all select 9) as units
    cross join (select 0 as n union all select 1 union all select 2 union all select 3 union all select 4
          union all select 5 union all select 6 union all select 7 union all select 8 union all select 9) as tens
    cross join (select 0 as n union all select 1 union all select 2 union all select 3 union all select 4
          union all select 5 union all select 6 union all select 7 union all select 8 union all select 9) as hundreds

)

select
    reporting.la_code,
    reporting.as_at_date,
    cast(case
        when spine.n = 0 then reporting.as_at_date
        else 

    (

    (date_trunc('month', reporting.as_at_date) + cast(1 - spine.n as bigint) * interval 1 month) + cast(-1 as bigint) * interval 1 day)
    end as date) as reporting_date,
    cast(spine.n = 0 as boolean) as is_current,
    reporting.coverage_start
from reporting
cross join spine
where spine.n <= 36
    );
    
  