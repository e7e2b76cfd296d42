"""The kinds of refusal every fourx domain raises. Standard library only, so a pure domain may
import it. Each kind has one HTTP status, set in one place (fourx_platform.http); a consumer's
failure policy counts them all as permanent (retrying does not change the rule).

Messages are for people, so they are Chinese; ids and field names stay as they are. Each
refusal carries a stable `code` (fourx_platform.error_codes) that its HTTP body names beside
the message: the kind's generic one unless the raise site or a subclass gives a finer one.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A rule of the method refuses this now (409). `field`, when given, names what the rule
    is about (e.g. `status`: the item is in the wrong state for it). `code`: the stable code
    of this refusal (a key of `error_codes.CATALOG`); None keeps the class's."""

    code = "refused"

    def __init__(self, message: str, *, field: str | None = None, code: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        if code is not None:
            self.code = code

    def facts(self) -> dict[str, Any]:
        """Structured details the response carries beside the message (e.g. what is missing)."""
        return {}

    def __str__(self) -> str:
        return f"{self.field}: {self.message}" if self.field else self.message


class NotAllowed(DomainError):
    """The caller may not do this (403)."""

    code = "forbidden"


class NotFound(DomainError):
    """What the request names does not exist in this district (404)."""

    code = "not_found"


class Invalid(DomainError):
    """The request carries a value the rules reject (422); `field` is its dotted path in the
    body, e.g. `outcomes.0.responsible`."""

    code = "invalid"

    def __init__(self, field: str, message: str, *, code: str | None = None):
        super().__init__(message, field=field, code=code)
