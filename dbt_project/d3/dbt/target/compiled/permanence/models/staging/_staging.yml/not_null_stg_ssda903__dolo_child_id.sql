
    
    



select child_id
from "permanence"."staging"."stg_ssda903__dolo"
where child_id is null


