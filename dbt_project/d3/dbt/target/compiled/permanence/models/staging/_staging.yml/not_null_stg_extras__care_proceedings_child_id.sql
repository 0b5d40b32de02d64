
    
    



select child_id
from "permanence"."staging"."stg_extras__care_proceedings"
where child_id is null


