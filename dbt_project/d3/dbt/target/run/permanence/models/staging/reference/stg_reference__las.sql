
  
  create view "permanence"."staging"."stg_reference__las__dbt_tmp" as (
    -- reference.las: renames and casts only.
select
    cast(la_code as varchar) as la_code,
    cast(ons_code as varchar) as ons_code,
    cast(la_name as varchar) as la_name,
    cast(region_code as varchar) as region_code,
    cast(status as varchar) as status,
    cast(date_of_termination as date) as date_of_termination
from "permanence"."reference"."las"
  );
