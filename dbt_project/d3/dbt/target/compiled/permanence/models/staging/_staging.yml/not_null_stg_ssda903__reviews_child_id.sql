
    
    



select child_id
from "permanence"."staging"."stg_ssda903__reviews"
where child_id is null


