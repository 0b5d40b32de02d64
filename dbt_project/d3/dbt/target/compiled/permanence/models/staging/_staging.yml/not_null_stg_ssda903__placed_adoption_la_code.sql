
    
    



select la_code
from "permanence"."staging"."stg_ssda903__placed_adoption"
where la_code is null


