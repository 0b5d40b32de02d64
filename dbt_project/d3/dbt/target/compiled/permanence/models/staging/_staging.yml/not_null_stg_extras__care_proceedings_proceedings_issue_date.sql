
    
    



select proceedings_issue_date
from "permanence"."staging"."stg_extras__care_proceedings"
where proceedings_issue_date is null


