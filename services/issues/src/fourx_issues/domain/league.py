"""The league table (排名表) per street or per community. Pure.

For the items of each street (all items whose street is known, including its communities')
or each community, raised by `today`:
- closure_rate: closed (verified) items / all items;
- on_time_rate: of the items whose outcome is known on `today` (closed, or past their due
  date), the share closed with the resolution claimed on or before the due date (None when
  no item is decided yet);
- overdue: items overdue today (unresolved, past the due date);
- notices: supervision notices received.

Rank is the position in that order, 1 first. "On time" is judged by the day the unit
*claimed* the resolution, not the day the office verified it: a unit that finished by the
due date is not marked late for the office's delay. These rules live here only: the weekly
bulletin shows the rows this service publishes (`supervision-snapshot`), rank included.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from fourx_issues.domain.model import CLOSED, SupervisionItem


@dataclass
class LeagueRow:
    unit_id: str
    items: int = 0
    closed: int = 0
    decided: int = 0
    on_time: int = 0
    overdue: int = 0
    notices: int = 0

    @property
    def closure_rate(self) -> float | None:
        return round(self.closed / self.items, 4) if self.items else None

    @property
    def on_time_rate(self) -> float | None:
        return round(self.on_time / self.decided, 4) if self.decided else None

    def as_dict(self, key: str, rank: int) -> dict:
        return {key: self.unit_id, "rank": rank, "items": self.items, "closed": self.closed,
                "decided": self.decided, "on_time": self.on_time,
                "closure_rate": self.closure_rate, "on_time_rate": self.on_time_rate,
                "overdue": self.overdue, "notices": self.notices}


def decided(item: SupervisionItem, today: date) -> bool:
    """The item's outcome is known on `today`: closed, or past its due date."""
    return item.status == CLOSED or today > item.due_date


def on_time(item: SupervisionItem) -> bool:
    """Closed, with the resolution claimed on or before the due date (verification may come later)."""
    return item.status == CLOSED and item.resolved_on is not None and item.resolved_on <= item.due_date


def league_table(items: Iterable[SupervisionItem], *, by: str, today: date,
                 units: Iterable[str] = ()) -> list[LeagueRow]:
    """Rows best first: highest on-time rate, then closure rate, then fewest overdue.
    `units` lists streets/communities to show even when they have no item yet."""
    if by not in ("street", "community"):
        raise ValueError("by: must be street or community")
    rows: dict[str, LeagueRow] = {u: LeagueRow(u) for u in units}
    for item in items:
        key = item.street_id if by == "street" else item.community_id
        if key is None or item.raised_on > today:  # not raised yet on that day
            continue
        row = rows.setdefault(key, LeagueRow(key))
        row.items += 1
        row.closed += item.status == CLOSED
        if decided(item, today):
            row.decided += 1
            row.on_time += on_time(item)
        row.overdue += item.unresolved and today > item.due_date
        row.notices += item.notice is not None
    return sorted(rows.values(), key=lambda r: (-(r.on_time_rate or 0), -(r.closure_rate or 0), r.overdue, r.unit_id))
