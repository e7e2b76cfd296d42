"""Errors of the meetings domain; the HTTP edge maps each kind to one status code."""

from __future__ import annotations


class DomainError(Exception):
    """A rule of the method was broken; the message says which, in words a user understands (409)."""


class NotAllowed(DomainError):
    """The caller may not do this (403)."""


class NotFound(DomainError):
    """What the request names does not exist in this district (404)."""


class Invalid(DomainError):
    """The request names something the rules reject, e.g. an unknown unit (422)."""

    def __init__(self, field: str, message: str):
        self.field = field
        super().__init__(f"{field}: {message}")


class CloseRefused(DomainError):
    """The activity day cannot close yet; `missing` says exactly what is missing (409)."""

    def __init__(self, missing: dict):
        self.missing = missing
        parts = []
        if missing["reports"]:
            parts.append("reports missing for " + ", ".join(f"{c['name']} ({c['community_id']})" for c in missing["reports"]))
        if missing["comments"]:
            parts.append("comments missing for " + ", ".join(f"{c['name']} ({c['community_id']})" for c in missing["comments"]))
        if missing["summary"]:
            parts.append("the deputy head's summary is missing")
        super().__init__("the activity day cannot be closed: " + "; ".join(parts))
