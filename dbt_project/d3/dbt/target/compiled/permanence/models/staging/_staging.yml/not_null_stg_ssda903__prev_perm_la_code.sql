
    
    



select la_code
from "permanence"."staging"."stg_ssda903__prev_perm"
where la_code is null


