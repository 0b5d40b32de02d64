
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
    
    

with all_values as (

    select
        target_kind as value_field,
        count(*) as n_records

    from "permanence"."reference"."la_targets"
    group by target_kind

)

select *
from all_values
where value_field not in (
    'absolute','relative'
)



  
  
      
    ) dbt_internal_test