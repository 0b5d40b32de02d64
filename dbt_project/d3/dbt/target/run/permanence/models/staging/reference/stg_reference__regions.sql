
  
  create view "permanence"."staging"."stg_reference__regions__dbt_tmp" as (
    -- reference.regions: renames and casts only.
select
    cast(region_code as varchar) as region_code,
    cast(region_name as varchar) as region_name
from "permanence"."reference"."regions"
  );
