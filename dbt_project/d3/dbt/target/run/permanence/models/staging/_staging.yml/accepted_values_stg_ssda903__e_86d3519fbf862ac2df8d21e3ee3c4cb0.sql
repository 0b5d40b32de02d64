
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
    
    

with all_values as (

    select
        placement_type as value_field,
        count(*) as n_records

    from "permanence"."staging"."stg_ssda903__episodes"
    group by placement_type

)

select *
from all_values
where value_field not in (
    'A3','A4','A5','A6','H5','K1','K2','K3','P1','P2','P3','R1','R2','R3','R5','S1','T0','T1','T2','T3','T4','U1','U2','U3','U4','U5','U6','Z1','Z11','Z12','Z13','Z14'
)



  
  
      
    ) dbt_internal_test