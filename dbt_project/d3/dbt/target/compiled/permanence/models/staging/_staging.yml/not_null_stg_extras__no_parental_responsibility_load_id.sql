
    
    



select load_id
from "permanence"."staging"."stg_extras__no_parental_responsibility"
where load_id is null


