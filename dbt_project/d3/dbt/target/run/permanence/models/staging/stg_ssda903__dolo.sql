
  
  create view "permanence"."staging"."stg_ssda903__dolo__dbt_tmp" as (
    -- DoLo (deprivation of liberty orders, 903 from 2026-27): renames and casts only; rows of each LA's current load.
with source as (

    select raw_rows.*
    from "permanence"."raw"."dolo" as raw_rows
    where exists (
        select 1
        from "permanence"."raw"."current_load" as current_load
        where current_load.la_code = raw_rows.la_code
          and current_load.load_id = raw_rows.load_id
    )

),

renamed as (

    select
        cast(child as TEXT) as child_id,
        cast(dob as date) as birth_month,
        cast(dolo_start as date) as dolo_start_date,
        cast(dolo_end as date) as dolo_end_date,
        cast(la_code as TEXT) as la_code,
        cast(load_id as TEXT) as load_id,
        cast(extract_date as date) as extract_date,
        cast(source_row as integer) as source_row
    from source

)

select * from renamed
  );
