"""After the demo: where to see it in the web console (工作台). The sign-in links of the
district's community secretary with the most supervision items (their 督办清单 shows them with
their lights) and of the Party-building office (the district's bulletin of the demo week), and
a city person's (市级总览) when the directory names a city."""

from __future__ import annotations

from collections import Counter
from urllib.parse import urlencode

import httpx

from fourx_local.demo.context import DemoContext, office_of


def _login(portal_url: str, person_id: str, district: str) -> str:
    return f"{portal_url}/login?{urlencode({'as': person_id, 'district': district})}"


def busiest_secretary(ctx: DemoContext, office: str) -> str | None:
    """The community secretary owning the most of the district's items (the first by id on a tie)."""
    people = (ctx.facts.get("directory") or {}).get("people", [])
    secretaries = {p["person_id"] for p in people if "community_secretary" in p.get("roles", [])}
    owners: Counter[str] = Counter()
    try:
        response = httpx.get(f"{ctx.urls['issues']}/districts/{ctx.district}/issues", params={"limit": 200},
                             headers={"Authorization": f"Bearer {ctx.token(office, 'party_office')}"}, timeout=30)
        if response.status_code == 200:
            owners.update(i.get("owner") for i in response.json().get("items", []) if i.get("owner") in secretaries)
    except httpx.HTTPError:
        pass
    if owners:
        return sorted(owners.items(), key=lambda kv: (-kv[1], kv[0]))[0][0]
    return min(secretaries) if secretaries else None


def sign_in_links(ctx: DemoContext, portal_url: str) -> list[tuple[str, str]]:
    office = office_of(ctx)
    links = []
    secretary = busiest_secretary(ctx, office)
    if secretary is not None:
        links.append(("社区书记（督办清单与亮灯）", _login(portal_url, secretary, ctx.district)))
    links.append(("区委党建办（本周通报）", _login(portal_url, office, ctx.district)))
    city = (ctx.facts.get("directory") or {}).get("city")
    if city:
        links.append(("市委组织部（市级总览）", f"{portal_url}/login?{urlencode({'as': 'p-city-org', 'city': city})}"))
    return links
