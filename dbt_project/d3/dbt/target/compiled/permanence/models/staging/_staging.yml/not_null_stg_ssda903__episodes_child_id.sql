
    
    



select child_id
from "permanence"."staging"."stg_ssda903__episodes"
where child_id is null


