-- One row per LA in the current loads: its extract date and the reporting date D
-- (var as_at_date when set, else the LA's extract_date).
with extracts as (

    select la_code, max(extract_date) as extract_date
    from {{ ref('stg_ssda903__episodes') }}
    group by la_code

)

select
    la_code,
    extract_date,
    {{ as_at_date_or('extract_date') }} as as_at_date
from extracts
