
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
    
    

with all_values as (

    select
        legal_status as value_field,
        count(*) as n_records

    from "permanence"."staging"."stg_ssda903__episodes"
    group by legal_status

)

select *
from all_values
where value_field not in (
    'C1','C2','D1','E1','J1','J2','J3','L1','L2','L3','V2','V3','V4'
)



  
  
      
    ) dbt_internal_test