-- OC2: renames and casts only; rows of each LA's current load.
with source as (

    {{ current_load_rows(source('ssda903', 'oc2')) }}

),

renamed as (

    select
        cast(child as {{ dbt.type_string() }}) as child_id,
        cast(dob as date) as birth_month,
        cast(sdq_score as {{ dbt.type_int() }}) as sdq_score,
        cast(sdq_reason as {{ dbt.type_string() }}) as sdq_reason,
        cast(convicted as {{ dbt.type_string() }}) as convicted,
        cast(health_check as {{ dbt.type_string() }}) as health_check,
        cast(immunisations as {{ dbt.type_string() }}) as immunisations,
        cast(teeth_check as {{ dbt.type_string() }}) as teeth_check,
        cast(health_assessment as {{ dbt.type_string() }}) as health_assessment,
        cast(substance_misuse as {{ dbt.type_string() }}) as substance_misuse,
        cast(intervention_received as {{ dbt.type_string() }}) as intervention_received,
        cast(intervention_offered as {{ dbt.type_string() }}) as intervention_offered,
        cast(la_code as {{ dbt.type_string() }}) as la_code,
        cast(load_id as {{ dbt.type_string() }}) as load_id,
        cast(extract_date as date) as extract_date,
        cast(source_row as {{ dbt.type_int() }}) as source_row
    from source

)

select * from renamed
