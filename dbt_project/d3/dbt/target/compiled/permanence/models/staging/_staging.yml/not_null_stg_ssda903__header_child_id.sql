
    
    



select child_id
from "permanence"."staging"."stg_ssda903__header"
where child_id is null


