
    
    



select la_code
from "permanence"."staging"."stg_ssda903__oc2"
where la_code is null


