
    
    



select la_code
from "permanence"."staging"."stg_ssda903__social_worker_episodes"
where la_code is null


