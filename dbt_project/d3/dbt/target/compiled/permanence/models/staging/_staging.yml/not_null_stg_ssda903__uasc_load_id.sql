
    
    



select load_id
from "permanence"."staging"."stg_ssda903__uasc"
where load_id is null


