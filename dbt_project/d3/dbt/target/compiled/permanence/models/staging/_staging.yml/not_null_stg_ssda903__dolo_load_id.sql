
    
    



select load_id
from "permanence"."staging"."stg_ssda903__dolo"
where load_id is null


