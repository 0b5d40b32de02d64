-- The values each kind of benchmark row is compared with (docs/benchmarking.md):
--   comparison 'published': every LA's published value (like with like: DfE's own figures);
--   comparison 'computed': every LA's computed value where the warehouse holds one (a consortium's
--     members), else its published value, so a computed figure still has neighbours to meet.
-- Only non-null, complete values: suppressed, missing or incomplete figures (a computed figure
-- reaching back past its extract's coverage start) take no part in means, ranks or quartiles; an
-- incomplete computed figure gives way to the LA's published one.
with vals as (

    select * from {{ ref('int_benchmark__values') }} where value is not null and complete

)

select cast('published' as varchar) as comparison, la_code, measure, period, value, source
from vals where source = 'published'

union all

select cast('computed' as varchar), la_code, measure, period, value, source
from vals where source = 'computed'

union all

select cast('computed' as varchar), published.la_code, published.measure, published.period, published.value, published.source
from vals as published
where published.source = 'published'
  and not exists (
      select 1 from vals as computed
      where computed.source = 'computed'
        and computed.la_code = published.la_code
        and computed.measure = published.measure
        and computed.period = published.period
  )
