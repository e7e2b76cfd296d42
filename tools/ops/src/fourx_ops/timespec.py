"""`--since`: a duration back from now (`90s`, `10m`, `2h`, `1d`, `1h30m`) or a moment
(`2026-11-29T08:00:00Z`, `2026-11-29T16:00+08:00`, `2026-11-29`). A moment without an offset is UTC
(the operator's wall clock is not the broker's)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_DURATION = re.compile(r"^(?:(\d+)([smhdw]))+$")
_PART = re.compile(r"(\d+)([smhdw])")


class BadTime(ValueError):
    pass


def parse_duration(text: str) -> timedelta | None:
    text = text.strip().lower()
    if not _DURATION.match(text):
        return None
    return timedelta(seconds=sum(int(n) * _UNITS[unit] for n, unit in _PART.findall(text)))


def parse_since(text: str, now: datetime | None = None) -> datetime:
    """The UTC moment `text` names (see the module docstring)."""
    now = now or datetime.now(UTC)
    if (duration := parse_duration(text)) is not None:
        return now - duration
    raw = text.strip()
    try:
        if len(raw) == 10:
            day = date.fromisoformat(raw)
            return datetime(day.year, day.month, day.day, tzinfo=UTC)
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise BadTime(f"--since {text!r}: give a duration (10m, 2h, 1d) or an ISO time "
                      "(2026-11-29T08:00:00Z)") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def short_delta(delta: timedelta) -> str:
    """`+0.042s`, `+3.1s`, `+2m05s`, `+1h02m`: how long a hop took, at a glance."""
    seconds = delta.total_seconds()
    sign = "-" if seconds < 0 else "+"
    seconds = abs(seconds)
    if seconds < 10:
        return f"{sign}{seconds:.3f}s"
    if seconds < 60:
        return f"{sign}{seconds:.1f}s"
    if seconds < 3600:
        return f"{sign}{int(seconds // 60)}m{int(seconds % 60):02d}s"
    return f"{sign}{int(seconds // 3600)}h{int(seconds % 3600 // 60):02d}m"
