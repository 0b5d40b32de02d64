
    

    create  table
      "permanence"."intermediate"."int_children__characteristics"
  
    
    as (
      -- One row per child in the header of each LA's current load, with age on the reporting date D
-- (whole years from the month of birth, taken as the first of the month).
with header as (

    select
        *,
        row_number() over (partition by la_code, child_id order by extract_date desc, source_row desc) as row_rank
    from "permanence"."staging"."stg_ssda903__header"
    where 1 = 1

),

final as (

    select
        header.la_code,
        header.child_id,
        header.sex,
        header.birth_month,
        header.ethnicity,
        reporting.as_at_date,
        cast(floor(cast((extract(year from reporting.as_at_date) - extract(year from header.birth_month)) * 12
         + extract(month from reporting.as_at_date) - extract(month from header.birth_month)
         - case when extract(day from reporting.as_at_date) < extract(day from header.birth_month)
                 and cast(reporting.as_at_date as date) < cast(cast(
        

    (

    (date_trunc('month', reporting.as_at_date) + cast(1 as bigint) * interval 1 month) + cast(-1 as bigint) * interval 1 day)
        as date) as date)
                then 1 else 0 end
         as integer) / 12.0) as integer) as age_on_as_at_date
    from header
    inner join "permanence"."intermediate"."int_la__reporting_dates" as reporting
        on reporting.la_code = header.la_code
    where header.row_rank = 1

)

select
        final.*,
        current_load.load_id as built_from_load,
        cast('da54354d248cde1e' as TEXT) as build_key
    from final
    inner join "permanence"."raw"."current_load" as current_load
        on current_load.la_code = final.la_code
    );
    
  
  