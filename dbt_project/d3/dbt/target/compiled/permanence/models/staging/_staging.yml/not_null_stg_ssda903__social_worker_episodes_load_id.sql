
    
    



select load_id
from "permanence"."staging"."stg_ssda903__social_worker_episodes"
where load_id is null


