-- reference.regions: renames and casts only.
select
    cast(region_code as varchar) as region_code,
    cast(region_name as varchar) as region_name
from "permanence"."reference"."regions"