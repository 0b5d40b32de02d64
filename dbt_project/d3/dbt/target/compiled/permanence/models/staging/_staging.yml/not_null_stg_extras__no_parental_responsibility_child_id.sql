
    
    



select child_id
from "permanence"."staging"."stg_extras__no_parental_responsibility"
where child_id is null


