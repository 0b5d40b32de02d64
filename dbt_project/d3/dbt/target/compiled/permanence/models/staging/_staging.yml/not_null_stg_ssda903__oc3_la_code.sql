
    
    



select la_code
from "permanence"."staging"."stg_ssda903__oc3"
where la_code is null


