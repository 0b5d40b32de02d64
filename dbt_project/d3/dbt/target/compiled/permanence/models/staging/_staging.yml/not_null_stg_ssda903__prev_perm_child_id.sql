
    
    



select child_id
from "permanence"."staging"."stg_ssda903__prev_perm"
where child_id is null


