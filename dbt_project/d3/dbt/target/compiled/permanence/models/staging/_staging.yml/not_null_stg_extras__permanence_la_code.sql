
    
    



select la_code
from "permanence"."staging"."stg_extras__permanence"
where la_code is null


