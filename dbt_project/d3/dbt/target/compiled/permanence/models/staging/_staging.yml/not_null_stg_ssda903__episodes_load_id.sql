
    
    



select load_id
from "permanence"."staging"."stg_ssda903__episodes"
where load_id is null


