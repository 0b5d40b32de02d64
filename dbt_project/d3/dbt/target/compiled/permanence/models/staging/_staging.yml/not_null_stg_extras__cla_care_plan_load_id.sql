
    
    



select load_id
from "permanence"."staging"."stg_extras__cla_care_plan"
where load_id is null


