-- reference.population_0_17: renames and casts only.
select
    cast(la_code as varchar) as la_code,
    cast(geographic_level as varchar) as geographic_level,
    cast(region_code as varchar) as region_code,
    cast(year as integer) as mid_year,
    cast(population as double precision) as population,
    cast(suppression as varchar) as suppression
from "permanence"."reference"."population_0_17"