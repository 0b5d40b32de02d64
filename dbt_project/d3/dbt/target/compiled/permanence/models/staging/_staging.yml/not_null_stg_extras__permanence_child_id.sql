
    
    



select child_id
from "permanence"."staging"."stg_extras__permanence"
where child_id is null


