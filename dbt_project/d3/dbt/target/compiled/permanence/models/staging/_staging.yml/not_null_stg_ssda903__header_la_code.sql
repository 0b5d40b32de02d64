
    
    



select la_code
from "permanence"."staging"."stg_ssda903__header"
where la_code is null


