-- One row per LA in the current loads: its extract date E, the reporting date D and the coverage
-- start C (docs/measures.md#dates-e-d-and-c). D belongs to each LA's load (the
-- run's --as-at, else E); the `as_at_date` var re-dates the whole warehouse at once. C is null
-- when the extract holds the whole history (a CMS full extract with no declared go-live).
with current_loads as (

    select * from {{ source('pipeline', 'current_load') }}

)

select
    la_code,
    cast(extract_date as date) as extract_date,
    {{ as_at_date_or('coalesce(as_at_date, extract_date)') }} as as_at_date,
    cast(coverage_start as date) as coverage_start
from current_loads
