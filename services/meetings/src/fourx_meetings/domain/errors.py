"""Errors of the meetings domain: the platform's kinds (each has one HTTP status, mapped in
fourx_platform.http) and the refusals only meetings has."""

from __future__ import annotations

from fourx_platform.errors import DomainError, Invalid, NotAllowed, NotFound

__all__ = ["CloseRefused", "DomainError", "Invalid", "NotAllowed", "NotFound"]


class CloseRefused(DomainError):
    """The activity day cannot close yet; `missing` says exactly what is missing (409)."""

    code = "activity_day.cannot_close"

    def __init__(self, missing: dict):
        self.missing = missing
        parts = []
        if missing["reports"]:
            parts.append("缺少工作汇报：" + "、".join(f"{c['name']}（{c['community_id']}）" for c in missing["reports"]))
        if missing["comments"]:
            parts.append("缺少点评：" + "、".join(f"{c['name']}（{c['community_id']}）" for c in missing["comments"]))
        if missing["summary"]:
            parts.append("缺少分管副部长的总结")
        super().__init__("集中活动日还不能结束：" + "；".join(parts))

    def facts(self) -> dict:
        return {"missing": self.missing}
