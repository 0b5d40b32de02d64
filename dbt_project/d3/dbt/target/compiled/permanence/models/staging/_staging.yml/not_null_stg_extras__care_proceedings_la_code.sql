
    
    



select la_code
from "permanence"."staging"."stg_extras__care_proceedings"
where la_code is null


