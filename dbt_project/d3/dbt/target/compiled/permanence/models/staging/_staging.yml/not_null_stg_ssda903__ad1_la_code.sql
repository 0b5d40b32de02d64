
    
    



select la_code
from "permanence"."staging"."stg_ssda903__ad1"
where la_code is null


