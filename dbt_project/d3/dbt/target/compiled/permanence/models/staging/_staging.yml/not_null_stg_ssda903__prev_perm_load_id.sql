
    
    



select load_id
from "permanence"."staging"."stg_ssda903__prev_perm"
where load_id is null


