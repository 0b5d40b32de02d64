
  
  create view "permanence"."staging"."stg_extras__no_parental_responsibility__dbt_tmp" as (
    -- ssd_no_parental_responsibility: renames and casts only; rows of each LA's current load.
with source as (

    select raw_rows.*
    from "permanence"."raw"."no_parental_responsibility" as raw_rows
    where exists (
        select 1
        from "permanence"."raw"."current_load" as current_load
        where current_load.la_code = raw_rows.la_code
          and current_load.load_id = raw_rows.load_id
    )

),

renamed as (

    select
        cast(nopr_person_id as TEXT) as child_id,
        cast(nopr_reason as TEXT) as no_pr_reason,
        cast(nopr_start_date as date) as no_pr_start_date,
        cast(nopr_end_date as date) as no_pr_end_date,
        cast(la_code as TEXT) as la_code,
        cast(load_id as TEXT) as load_id,
        cast(extract_date as date) as extract_date,
        cast(source_row as integer) as source_row
    from source

)

select * from renamed
  );
