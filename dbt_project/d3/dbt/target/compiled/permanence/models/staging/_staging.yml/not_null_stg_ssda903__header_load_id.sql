
    
    



select load_id
from "permanence"."staging"."stg_ssda903__header"
where load_id is null


