-- reference.published_measures: renames and casts only.
select
    cast(la_code as varchar) as la_code,
    cast(la_name as varchar) as la_name,
    cast(geographic_level as varchar) as geographic_level,
    cast(region_code as varchar) as region_code,
    cast(time_period as integer) as time_period,
    cast(period as varchar) as period,
    cast(measure as varchar) as measure,
    cast(value as double precision) as value,
    cast(suppression as varchar) as suppression,
    cast(source_file as varchar) as source_file
from "permanence"."reference"."published_measures"