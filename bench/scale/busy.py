"""How busy the store was while a part ran: its process's CPU seconds (user + system, from
/proc) over the part's wall time. SecantusDB serves one command at a time, so a store near
100 % busy is the part's bottleneck, and its CPU seconds per unit of work are a floor that no
change in fourx's code can go under on this store — the measured "store's part" of a figure.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds of `pid` so far (None where /proc has no such process)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / _TICKS   # utime, stime (fields 14 and 15)


@dataclass
class Busy:
    wall: float
    cpu: float | None

    @property
    def share(self) -> float | None:
        return None if self.cpu is None or not self.wall else self.cpu / self.wall

    def note(self) -> str:
        if self.cpu is None:
            return "store CPU not measured (not a local process)"
        return f"store busy {self.share:.0%} of {self.wall:.1f}s ({self.cpu:.1f} CPU-s)"


class StoreMeter:
    """`with meter.measure() as busy:` … `busy.note()`; a no-op without a local store pid."""

    def __init__(self, pid: int | None):
        self.pid = pid

    def start(self) -> tuple[float, float | None]:
        return time.perf_counter(), (cpu_seconds(self.pid) if self.pid else None)

    def since(self, mark: tuple[float, float | None]) -> Busy:
        wall0, cpu0 = mark
        cpu1 = cpu_seconds(self.pid) if self.pid else None
        return Busy(time.perf_counter() - wall0, None if cpu0 is None or cpu1 is None else cpu1 - cpu0)

