-- Every LA-level value of a benchmark measure: computed by our marts (source 'computed') and
-- published by DfE (source 'published', suppressed figures kept with a null value).
-- complete: a computed figure that reaches back past the extract's coverage start is false (with
-- its reason); published figures are DfE's own and complete.
with measures as (

    select measure from {{ ref('int_benchmark__measures') }}

)

select
    cast(computed.la_code as varchar) as la_code,
    cast(computed.measure as varchar) as measure,
    cast(computed.period as varchar) as period,
    cast('computed' as varchar) as source,
    cast(computed.value as double precision) as value,
    cast(null as varchar) as suppression,
    cast(computed.complete as boolean) as complete,
    cast(computed.incomplete_reason as varchar) as incomplete_reason
from {{ ref('int_benchmark__computed') }} as computed
where computed.measure in (select measure from measures)

union all

select
    cast(published.la_code as varchar),
    cast(published.measure as varchar),
    cast(published.period as varchar),
    cast('published' as varchar),
    cast(published.value as double precision),
    cast(published.suppression as varchar),
    cast(true as boolean),
    cast(null as varchar)
from {{ ref('stg_reference__published_measures') }} as published
where published.geographic_level = 'local_authority'
  and published.la_code is not null
  and published.measure in (select measure from measures)
