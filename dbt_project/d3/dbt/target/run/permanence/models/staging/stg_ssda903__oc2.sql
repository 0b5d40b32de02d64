
  
  create view "permanence"."staging"."stg_ssda903__oc2__dbt_tmp" as (
    -- OC2: renames and casts only; rows of each LA's current load.
with source as (

    select raw_rows.*
    from "permanence"."raw"."oc2" as raw_rows
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
        cast(sdq_score as integer) as sdq_score,
        cast(sdq_reason as TEXT) as sdq_reason,
        cast(convicted as TEXT) as convicted,
        cast(health_check as TEXT) as health_check,
        cast(immunisations as TEXT) as immunisations,
        cast(teeth_check as TEXT) as teeth_check,
        cast(health_assessment as TEXT) as health_assessment,
        cast(substance_misuse as TEXT) as substance_misuse,
        cast(intervention_received as TEXT) as intervention_received,
        cast(intervention_offered as TEXT) as intervention_offered,
        cast(la_code as TEXT) as la_code,
        cast(load_id as TEXT) as load_id,
        cast(extract_date as date) as extract_date,
        cast(source_row as integer) as source_row
    from source

)

select * from renamed
  );
