-- The REC seed's exit routes are the exit_route macro's: one mapping, read two ways (the macro in
-- the period build, the seed for labels), must never drift apart.
select code, exit_route
from {{ ref('reason_episode_ceased') }}
where exit_route <> {{ exit_route('code', "cast('2000-01-01' as date)") }}
