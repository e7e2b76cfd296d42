"""The one optimistic-concurrency helper every service's handlers use (fourx_platform.versioned)."""

from __future__ import annotations

import asyncio

import pytest
from fourx_platform.failures import is_transient
from fourx_platform.versioned import ConcurrencyConflict, retry_on_conflict


def _flaky(conflicts: int):
    """An attempt that meets `conflicts` conflicts before it saves; counts its runs."""
    runs = []

    async def attempt() -> str:
        runs.append(len(runs) + 1)
        if len(runs) <= conflicts:
            raise ConcurrencyConflict("d/item-1")
        return f"saved on run {len(runs)}"

    return attempt, runs


def test_a_conflict_runs_the_attempt_again_until_it_saves():
    attempt, runs = _flaky(conflicts=2)
    assert asyncio.run(retry_on_conflict(attempt)) == "saved on run 3"
    assert runs == [1, 2, 3]


def test_the_last_conflict_is_raised_after_the_attempts_run_out():
    attempt, runs = _flaky(conflicts=10)
    with pytest.raises(ConcurrencyConflict) as raised:
        asyncio.run(retry_on_conflict(attempt, attempts=3))
    assert runs == [1, 2, 3] and raised.value.doc_id == "d/item-1"


def test_other_errors_are_not_retried():
    runs = []

    async def refused() -> None:
        runs.append(1)
        raise ValueError("a rule refused it")

    with pytest.raises(ValueError):
        asyncio.run(retry_on_conflict(refused))
    assert runs == [1]


def test_at_least_one_attempt_is_asked_for():
    attempt, runs = _flaky(conflicts=0)
    with pytest.raises(ValueError):
        asyncio.run(retry_on_conflict(attempt, attempts=0))
    assert runs == []


def test_a_conflict_is_transient_for_the_consumers_failure_policy():
    conflict = ConcurrencyConflict("d/item-1")
    assert is_transient(conflict)
    assert "d/item-1" in str(conflict)
