"""What every service's settings have in common, under one name each. A service subclasses
`ServiceSettings` with its own env prefix (`MEETINGS_`, `ISSUES_`, `NOTIFY_`), so one idea is
one field name in every service: `time_zone` is `MEETINGS_TIME_ZONE`, `ISSUES_TIME_ZONE`,
`NOTIFY_TIME_ZONE`.

Names that every service follows for its own fields:
- `database`: the service's MongoDB database (each service sets its default).
- `<job>_every_seconds`: how often a background job runs (`fourx_platform.loops.every`);
  0 turns a scheduled job off (tests, the demo, fault drills)."""

from __future__ import annotations

from pydantic_settings import BaseSettings, SettingsConfigDict

from fourx_platform.clock import DEFAULT_TIME_ZONE


class ServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore")

    database: str
    # The districts' time zone: what "today" is, and when the Monday run falls.
    time_zone: str = DEFAULT_TIME_ZONE
