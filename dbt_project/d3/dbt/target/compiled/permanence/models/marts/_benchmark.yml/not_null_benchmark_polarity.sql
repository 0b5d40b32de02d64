
    
    



select polarity
from "permanence"."marts"."benchmark"
where polarity is null


