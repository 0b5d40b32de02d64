
    
    



select load_id
from "permanence"."staging"."stg_ssda903__ad1"
where load_id is null


