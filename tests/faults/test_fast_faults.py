"""The fast subset of the fault suite in `make test`: the poison case (c4) through the same
harness `make faults` uses — its own Kafka, store and service processes, a counted workload,
poison of every kind on the bystanders' partition, reconciliation and the DLQ check."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from faults.cases import c4_poison

pytestmark = pytest.mark.integration


def test_poison_is_parked_and_bystanders_flow(tmp_path: Path) -> None:
    # Its own event loop: the case starts and stops its processes inside it.
    result = asyncio.run(c4_poison.run(tmp_path, days=2, districts=3))
    assert result.error is None
    assert (result.lost, result.doubled, result.stalled) == (0, 0, 0), result
