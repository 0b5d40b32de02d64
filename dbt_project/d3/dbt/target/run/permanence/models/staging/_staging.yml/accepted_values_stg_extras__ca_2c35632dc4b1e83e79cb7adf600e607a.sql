
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
    
    

with all_values as (

    select
        final_order_type as value_field,
        count(*) as n_records

    from "permanence"."staging"."stg_extras__care_proceedings"
    group by final_order_type

)

select *
from all_values
where value_field not in (
    'C1','C2','CAO','E1','NOORDER','SGO','SO','WITHDRAWN'
)



  
  
      
    ) dbt_internal_test