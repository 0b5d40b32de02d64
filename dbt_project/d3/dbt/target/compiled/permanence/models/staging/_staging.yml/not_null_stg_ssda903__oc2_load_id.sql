
    
    



select load_id
from "permanence"."staging"."stg_ssda903__oc2"
where load_id is null


