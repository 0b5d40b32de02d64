
    
    



select dolo_start_date
from "permanence"."staging"."stg_ssda903__dolo"
where dolo_start_date is null


