
    
    



select child_id
from "permanence"."staging"."stg_extras__cla_care_plan"
where child_id is null


