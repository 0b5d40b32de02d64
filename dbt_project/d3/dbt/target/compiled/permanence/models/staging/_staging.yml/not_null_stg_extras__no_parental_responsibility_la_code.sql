
    
    



select la_code
from "permanence"."staging"."stg_extras__no_parental_responsibility"
where la_code is null


