
    
    



select load_id
from "permanence"."staging"."stg_extras__permanence"
where load_id is null


