-- The REC seed's exit routes are the exit_route macro's: one mapping, read two ways (the macro in
-- the period build, the seed for labels), must never drift apart.
select code, exit_route
from "permanence"."reference"."reason_episode_ceased"
where exit_route <> case
        when cast('2000-01-01' as date) is null then null
        when code in ('E11', 'E12') then 'Adopted'
        when code in ('E45', 'E46', 'E47', 'E48') then 'Special guardianship order'
        when code = 'E41' then 'Child arrangements order'
        when code in ('E4A', 'E4B') then 'Returned home'
        when code = 'E13' then 'Living with parents or relatives without PR'
        when code in ('E5', 'E6', 'E17') then 'Independent living or stayed with carers at 18'
        when code in ('E2', 'E3', 'E7', 'E8', 'E9', 'E14', 'E15', 'E16') then 'Other'
        else 'Not recorded'
    end