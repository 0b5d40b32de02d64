-- ssd_no_parental_responsibility: renames and casts only; rows of each LA's current load.
with source as (

    {{ current_load_rows(source('extras', 'no_parental_responsibility')) }}

),

renamed as (

    select
        cast(nopr_person_id as {{ dbt.type_string() }}) as child_id,
        cast(nopr_reason as {{ dbt.type_string() }}) as no_pr_reason,
        cast(nopr_start_date as date) as no_pr_start_date,
        cast(nopr_end_date as date) as no_pr_end_date,
        cast(la_code as {{ dbt.type_string() }}) as la_code,
        cast(load_id as {{ dbt.type_string() }}) as load_id,
        cast(extract_date as date) as extract_date,
        cast(source_row as {{ dbt.type_int() }}) as source_row
    from source

)

select * from renamed
