
    
    



select la_code
from "permanence"."staging"."stg_ssda903__missing"
where la_code is null


