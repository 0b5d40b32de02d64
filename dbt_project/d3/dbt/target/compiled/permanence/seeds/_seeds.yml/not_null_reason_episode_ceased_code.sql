
    
    



select code
from "permanence"."reference"."reason_episode_ceased"
where code is null


