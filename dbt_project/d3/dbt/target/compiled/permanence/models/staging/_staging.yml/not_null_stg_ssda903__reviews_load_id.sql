
    
    



select load_id
from "permanence"."staging"."stg_ssda903__reviews"
where load_id is null


