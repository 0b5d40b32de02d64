
    
    



select la_code
from "permanence"."staging"."stg_ssda903__uasc"
where la_code is null


