"""The supervision snapshot (督办快照) of a district for one week's bulletin. Pure.

The issues service owns the warning lights (lights.py) and the league table (league.py); the
weekly bulletin is written by another service, which must show exactly what this service
says. So for each bulletin this service publishes a snapshot: every item the bulletin lists
with its light and the rule that gave it, and the league table with ranks.

Invariants:
- Everything is judged on one day, `as_of` = the earlier of today and the week's Sunday:
  a bulletin asked for after its week shows the lights as they stood at the week's end, one
  asked for during its week those of today. The issues API asked with `today=as_of` gives
  the same lights and the same ranks (the same functions on the same items).
- Items listed: raised by `as_of` and not closed before the week's Monday (an item closed
  earlier is off the list, as in the bulletin). The league counts every item raised by
  `as_of`, like the API's league table.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

from fourx_issues.domain.league import decided, league_table, on_time
from fourx_issues.domain.lights import monday_of
from fourx_issues.domain.model import CLOSED, SupervisionItem


def snapshot_day(week: str, today: date) -> date:
    """The day a week's snapshot judges: the week's Sunday, or today while the week runs."""
    return min(today, monday_of(week) + timedelta(days=6))


@dataclass(frozen=True)
class ItemLight:
    issue_id: str
    status: str
    light: str | None
    reason: str | None
    reason_text: str
    percent: int
    on_time: bool | None


@dataclass(frozen=True)
class Snapshot:
    district: str
    week: str
    as_of: date
    items: list[ItemLight] = field(default_factory=list)
    streets: list[dict] = field(default_factory=list)       # league rows, rank order
    communities: list[dict] = field(default_factory=list)


def take_snapshot(district: str, week: str, items: Iterable[SupervisionItem], *, today: date,
                  streets: Iterable[str] = (), communities: Iterable[str] = ()) -> Snapshot:
    as_of = snapshot_day(week, today)
    monday = monday_of(week)
    items = sorted(items, key=lambda i: i.issue_id)
    listed = []
    for item in items:
        if item.raised_on > as_of or (item.status == CLOSED and item.verified_on and item.verified_on < monday):
            continue
        verdict = item.verdict(as_of)
        listed.append(ItemLight(
            issue_id=item.issue_id, status=item.status, light=verdict.light.value if verdict.light else None,
            reason=verdict.reason, reason_text=verdict.text, percent=item.latest_percent(),
            on_time=on_time(item) if decided(item, as_of) else None))

    def rows(by: str, units: Iterable[str]) -> list[dict]:
        return [row.as_dict("unit_id", rank)
                for rank, row in enumerate(league_table(items, by=by, today=as_of, units=units), 1)]

    return Snapshot(district=district, week=week, as_of=as_of, items=listed,
                    streets=rows("street", streets), communities=rows("community", communities))
