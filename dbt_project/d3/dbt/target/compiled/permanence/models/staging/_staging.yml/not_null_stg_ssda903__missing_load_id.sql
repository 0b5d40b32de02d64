
    
    



select load_id
from "permanence"."staging"."stg_ssda903__missing"
where load_id is null


