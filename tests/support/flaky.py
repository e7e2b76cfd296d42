"""An action for failure-handling tests: it fails with the given errors in turn, then succeeds,
and counts its calls."""

from __future__ import annotations


class Flaky:
    def __init__(self, *errors: BaseException):
        self.errors = list(errors)
        self.calls = 0

    async def __call__(self) -> None:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
