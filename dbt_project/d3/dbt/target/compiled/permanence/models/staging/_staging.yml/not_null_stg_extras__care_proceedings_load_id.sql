
    
    



select load_id
from "permanence"."staging"."stg_extras__care_proceedings"
where load_id is null


