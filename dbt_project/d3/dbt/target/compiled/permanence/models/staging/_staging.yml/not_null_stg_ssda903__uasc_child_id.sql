
    
    



select child_id
from "permanence"."staging"."stg_ssda903__uasc"
where child_id is null


