
    
    



select la_code
from "permanence"."staging"."stg_ssda903__reviews"
where la_code is null


