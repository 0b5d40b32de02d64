
    
    



select child_id
from "permanence"."staging"."stg_ssda903__oc3"
where child_id is null


