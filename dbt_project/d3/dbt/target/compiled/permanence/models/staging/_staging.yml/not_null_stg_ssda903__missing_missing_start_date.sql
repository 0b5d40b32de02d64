
    
    



select missing_start_date
from "permanence"."staging"."stg_ssda903__missing"
where missing_start_date is null


