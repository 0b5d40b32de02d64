
  
  create view "permanence"."staging"."stg_reference__statistical_neighbours__dbt_tmp" as (
    -- reference.statistical_neighbours: renames and casts only.
select
    cast(la_code as varchar) as la_code,
    cast(model as varchar) as model,
    cast(rank as integer) as neighbour_rank,
    cast(neighbour_la_code as varchar) as neighbour_la_code,
    cast(closeness as varchar) as closeness
from "permanence"."reference"."statistical_neighbours"
  );
