
    
    



select episode_start_date
from "permanence"."staging"."stg_ssda903__episodes"
where episode_start_date is null


