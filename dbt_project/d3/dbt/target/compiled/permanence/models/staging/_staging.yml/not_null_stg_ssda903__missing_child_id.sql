
    
    



select child_id
from "permanence"."staging"."stg_ssda903__missing"
where child_id is null


