
  
  create view "permanence"."staging"."stg_reference__la_regions__dbt_tmp" as (
    -- reference.la_regions: renames and casts only.
select
    cast(la_code as varchar) as la_code,
    cast(ons_code as varchar) as ons_code,
    cast(la_name as varchar) as la_name,
    cast(region_code as varchar) as region_code,
    cast(region_name as varchar) as region_name
from "permanence"."reference"."la_regions"
  );
