
    
    



select child_id
from "permanence"."staging"."stg_ssda903__social_worker_episodes"
where child_id is null


