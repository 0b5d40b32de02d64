
    
    



select child_id
from "permanence"."staging"."stg_ssda903__placed_adoption"
where child_id is null


