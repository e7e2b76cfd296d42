"""What one fault case reports, and the table `make faults` prints (read by tools)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class CaseResult:
    case: str
    workload: str          # what was sent, counted: "120 commands, 6 districts"
    lost: int              # accepted commands whose event is missing on Kafka or in a consumer's store
    doubled: int           # facts published or applied more than once (by event id, or two ids for one fact)
    stalled: int           # districts not involved in the fault that stopped flowing
    max_delay_s: float     # worst delay seen by a district not involved in the fault
    error: str | None = None   # the case crashed: this row failed, whatever its counts say


def table(results: Sequence[CaseResult]) -> str:
    rows = ["case | workload | lost | doubled | stalled districts | max delay"]
    rows += [f"{r.case} | {r.workload if r.error is None else 'CRASHED: ' + r.error} | {r.lost} | "
             f"{r.doubled} | {r.stalled} | {r.max_delay_s:.1f} s" for r in results]
    return "\n".join(rows)


def summary(results: Sequence[CaseResult]) -> str:
    """The last line of `make faults`, exactly as the issue names it."""
    return (f"faults: {len(results)} cases, lost {sum(r.lost for r in results)}, "
            f"doubled {sum(r.doubled for r in results)}, stalled {sum(r.stalled for r in results)}")
