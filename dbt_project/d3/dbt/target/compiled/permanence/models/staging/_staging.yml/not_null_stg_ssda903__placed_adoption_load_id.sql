
    
    



select load_id
from "permanence"."staging"."stg_ssda903__placed_adoption"
where load_id is null


