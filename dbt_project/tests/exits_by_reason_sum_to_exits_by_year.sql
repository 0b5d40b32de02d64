-- exits_by_reason is exits_by_year one level down: summed over the reasons of a route, the same children.
with by_reason as (
    select la_code, collection_year, exit_route, sum(children) as children
    from {{ ref('exits_by_reason') }}
    group by la_code, collection_year, exit_route
)
select coalesce(r.la_code, y.la_code) as la_code, coalesce(r.collection_year, y.collection_year) as collection_year
from by_reason as r
full outer join {{ ref('exits_by_year') }} as y
    on y.la_code = r.la_code and y.collection_year = r.collection_year and y.exit_route = r.exit_route
where r.children is null or y.children is null or r.children <> y.children
