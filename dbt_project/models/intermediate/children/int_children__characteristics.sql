-- One row per child in the header of each LA's current load, with age on the reporting date D
-- (whole years from the month of birth, taken as the first of the month).
with header as (

    select
        *,
        row_number() over (partition by la_code, child_id order by extract_date desc, source_row desc) as row_rank
    from {{ ref('stg_ssda903__header') }}
    where {{ la_needs_build() }}

),

final as (

    select
        header.la_code,
        header.child_id,
        header.sex,
        header.birth_month,
        header.ethnicity,
        reporting.as_at_date,
        {{ age_in_years('header.birth_month', 'reporting.as_at_date') }} as age_on_as_at_date
    from header
    inner join {{ ref('int_la__reporting_dates') }} as reporting
        on reporting.la_code = header.la_code
    where header.row_rank = 1

)

{{ select_with_build_columns('final') }}
