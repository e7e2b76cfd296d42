"""What a verified caller may do: one table of role × route per service, enforced once.

Each service declares an `AccessTable` — `(method, path) → Rule` for every route under
`/districts/{district}/` — and `service_app` installs `authorize` on all of them and refuses
to build an app with a district route the table does not name. For every request:

1. an operator (`FOURX_AUTH_OPERATORS`) passes, in any district (routes marked dev-only
   still need dev mode);
2. anyone else needs a token of the path's district;
3. and must be a person of that district's directory (each service has it: meetings owns it,
   issues and notify keep the `directory-updated` snapshot). The only exception is the very
   first directory import, which the office does before anyone is in a directory;
4. the roles that count are those the token claims *and* the directory gives the person;
   the rule names which of them may call the route.

City routes (`/cities/{city}/…`, the level above the districts) are in the same table and
read-only: `install` refuses a city route that is not a GET. For every request to one:

1. an operator passes;
2. anyone else needs a city-level token (`city` claim, no district) of the path's city, with
   one of the rule's roles (a city role: `city_org_dept`);
3. a path that names a district (`/cities/{city}/districts/{district}/…`) is refused unless
   the district belongs to the city — by the service's own record of which districts are the
   city's (`service.city_districts(city)`), never by what the token says.

A city token on a district route is refused by rule 2 of the district routes (it has no
district), so a city role never changes a district's records.

Finer rules that need the thing acted on (a secretary reports only for their own community,
only the responsible unit's people act on a supervision item) are the services' domain rules.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Path, Request
from fastapi.routing import APIRoute, iter_route_contexts

from fourx_contracts.vocabulary import CITY_ROLE_LABELS, ROLE_LABELS, label
from fourx_platform.auth import Caller, Refusal, verified_caller
from fourx_platform.devmode import dev_mode

DISTRICT_PREFIX = "/districts/{district}"
CITY_PREFIX = "/cities/{city}"


@dataclass(frozen=True)
class Rule:
    # None: any person of the district's directory; else one of these roles.
    roles: frozenset[str] | None = None
    operators_only: bool = False
    dev_only: bool = False
    # The district has no directory yet: the office imports the first one.
    first_directory: bool = False

    def admits(self, roles: frozenset[str]) -> bool:
        return self.roles is None or bool(self.roles & roles)


ANY_PERSON = Rule()
OPERATORS_IN_DEV_MODE = Rule(roles=frozenset(), operators_only=True, dev_only=True)


def roles(*names: str, **options: Any) -> Rule:
    return Rule(roles=frozenset(names), **options)


@dataclass(frozen=True)
class AccessTable:
    rules: Mapping[tuple[str, str], Rule]

    def rule(self, method: str, path: str) -> Rule | None:
        return self.rules.get((method.upper(), path))

    def missing(self, app: FastAPI) -> list[tuple[str, str]]:
        """District and city routes of `app` with no rule (a new route must say who may call it)."""
        return [(m, p) for m, p in district_routes(app) + city_routes(app) if self.rule(m, p) is None]


def _district_route_contexts(app: FastAPI, prefix: str = DISTRICT_PREFIX) -> Iterator[tuple[str, str, APIRoute]]:
    """(method, path as served, the route) for every route under /districts/{district} (or
    `prefix`), also inside included routers (FastAPI resolves those lazily: app.routes alone
    misses them)."""
    for context in iter_route_contexts(app.routes):
        route, path = context.original_route, context.path
        if isinstance(route, APIRoute) and path and path.startswith(prefix):
            for method in sorted(context.methods or ()):
                if method != "HEAD":
                    yield method, path, route


def district_routes(app: FastAPI) -> list[tuple[str, str]]:
    return sorted((method, path) for method, path, _ in _district_route_contexts(app))


def city_routes(app: FastAPI) -> list[tuple[str, str]]:
    return sorted((method, path) for method, path, _ in _district_route_contexts(app, CITY_PREFIX))


def role_names(names: Iterable[str] | None) -> str:
    """Roles as people read them (their Chinese labels), for a refusal's text."""
    labels = {**ROLE_LABELS, **CITY_ROLE_LABELS}
    return "、".join(label(labels, name) for name in sorted(names or ())) or "无"


def _forbidden(detail: str, *, code: str) -> Refusal:
    return Refusal(403, detail, code=code)


def _route_rule(request: Request) -> Rule:
    route = request.scope.get("route")
    rules: dict[tuple[int, str], Rule] = getattr(request.app.state, "access_rules", {})
    rule = rules.get((id(route), request.method.upper()))
    if rule is None:  # fail closed: service_app refuses such an app, this is the second lock
        raise _forbidden("此接口未列入访问规则表，拒绝访问", code="access.unlisted_route")
    return rule


async def authorize(request: Request, district: Annotated[str, Path()],
                    caller: Annotated[Caller, Depends(verified_caller)]) -> Caller:
    """The caller, authorised for this route in this district, with the roles that count."""
    rule = _route_rule(request)
    if rule.dev_only and not dev_mode():
        raise _forbidden("此接口仅在开发模式下可用（FOURX_DEV_MODE=1）", code="access.dev_only")
    if caller.operator:
        return caller
    if caller.city is not None and not caller.district:
        raise _forbidden(f"市级令牌（{caller.city}）只能查看本市各区的成效数据（/cities/{caller.city}/…），"
                         f"不能访问或修改 {district!r} 区的记录",
                         code="access.city_token")
    if caller.district != district:
        raise _forbidden(f"此令牌属于 {caller.district!r} 区，不能访问 {district!r} 区",
                         code="access.wrong_district")
    if rule.operators_only:
        raise _forbidden("此操作仅限平台运维人员（FOURX_AUTH_OPERATORS）", code="access.operators_only")
    people = await request.app.state.service.directory_people(district)
    person = next((p for p in people or () if p.get("person_id") == caller.person_id), None)
    if person is None:
        if people is None and rule.first_directory and rule.admits(caller.roles):
            return caller
        if people is None:
            raise _forbidden(f"{district!r} 区尚未导入组织名册", code="access.no_directory")
        raise _forbidden(f"{caller.person_id!r} 不在 {district!r} 区的组织名册中", code="access.not_in_directory")
    granted = caller.roles & frozenset(person.get("roles") or ())
    if not rule.admits(granted):
        raise _forbidden(f"此操作需要以下角色之一：{role_names(rule.roles)}；"
                         f"您在名册中的角色为：{role_names(granted)}",
                         code="access.role_required")
    unit = person.get("unit") or {}
    return Caller(person_id=caller.person_id, district=district, roles=granted,
                  unit=(unit["kind"], unit["id"]) if unit.get("kind") and unit.get("id") else None)


Authorized = Annotated[Caller, Depends(authorize)]


async def authorize_city(request: Request, city: Annotated[str, Path()],
                         caller: Annotated[Caller, Depends(verified_caller)]) -> Caller:
    """The caller, authorised for this city route (read-only; see the module's rules)."""
    rule = _route_rule(request)
    if caller.operator:
        return caller
    if caller.city is None or caller.district:
        raise _forbidden("此接口仅限市级令牌（含所属市 city，不含区）", code="access.city_only")
    if caller.city != city:
        raise _forbidden(f"此令牌属于 {caller.city!r} 市，不能查看 {city!r} 市", code="access.wrong_city")
    if not rule.admits(caller.roles):
        raise _forbidden(f"此操作需要以下角色之一：{role_names(rule.roles)}", code="access.role_required")
    district = request.path_params.get("district")
    if district is not None:
        districts = await request.app.state.service.city_districts(city)
        if district not in districts:
            raise _forbidden(f"{district!r} 区不属于 {city!r} 市，不能查看", code="access.not_in_city")
    return caller


CityAuthorized = Annotated[Caller, Depends(authorize_city)]


def people_of(snapshot: Mapping[str, Any] | None) -> list[dict[str, Any]] | None:
    """The people of a `directory-updated` snapshot, None for no snapshot."""
    return None if snapshot is None else list(snapshot.get("people") or [])


def install(app: FastAPI, table: AccessTable) -> None:
    """Refuse to build an app whose district routes are not all in the table and guarded."""
    missing = table.missing(app)
    if missing:
        raise RuntimeError(f"routes without an access rule: {missing}")
    contexts = list(_district_route_contexts(app))
    unguarded = sorted({path for _, path, route in contexts if not _calls_authorize(route.dependant)})
    if unguarded:
        raise RuntimeError(f"routes that do not depend on access.authorize: {unguarded}")
    city = list(_district_route_contexts(app, CITY_PREFIX))
    writes = sorted({(m, path) for m, path, _ in city if m != "GET"})
    if writes:  # the city level reads; it never changes a district's records
        raise RuntimeError(f"city routes must be GET only: {writes}")
    unguarded = sorted({path for _, path, route in city if not _calls_authorize(route.dependant, authorize_city)})
    if unguarded:
        raise RuntimeError(f"city routes that do not depend on access.authorize_city: {unguarded}")
    contexts += city
    # Looked up by the matched route object (scope["route"]), whatever prefix it was mounted under.
    app.state.access_rules = {(id(route), method): table.rules[(method, path)] for method, path, route in contexts}
    app.state.access = table


def _calls_authorize(dependant: Any, guard: Any = None) -> bool:
    guard = guard or authorize
    return any(d.call is guard or _calls_authorize(d, guard) for d in dependant.dependencies)
