
    
    



select sw_episode_start_date
from "permanence"."staging"."stg_ssda903__social_worker_episodes"
where sw_episode_start_date is null


