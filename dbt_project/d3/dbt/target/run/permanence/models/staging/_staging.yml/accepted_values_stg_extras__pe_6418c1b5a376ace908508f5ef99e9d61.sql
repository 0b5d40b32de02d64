
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
    
    

with all_values as (

    select
        permanence_order_type as value_field,
        count(*) as n_records

    from "permanence"."staging"."stg_extras__permanence"
    group by permanence_order_type

)

select *
from all_values
where value_field not in (
    'ADOPTION','CAO','SGO'
)



  
  
      
    ) dbt_internal_test