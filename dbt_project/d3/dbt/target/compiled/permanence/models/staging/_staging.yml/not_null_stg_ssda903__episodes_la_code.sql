
    
    



select la_code
from "permanence"."staging"."stg_ssda903__episodes"
where la_code is null


