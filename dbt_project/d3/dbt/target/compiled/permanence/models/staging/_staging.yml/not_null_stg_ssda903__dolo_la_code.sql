
    
    



select la_code
from "permanence"."staging"."stg_ssda903__dolo"
where la_code is null


