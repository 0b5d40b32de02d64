
    
    



select child_id
from "permanence"."staging"."stg_ssda903__ad1"
where child_id is null


