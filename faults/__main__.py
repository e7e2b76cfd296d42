"""`make faults`: run every fault case (each module of `faults/cases`, in name order) and print
one row per case, then exactly one summary line, last on stdout. Logs go to stderr; each
case's processes and their logs live under the run's folder (`.fourx/faults/<time>/<case>`).

    uv run --frozen python -m faults [--case NAME ...] [--workdir DIR]

Exit status 1 when anything was lost, doubled or stalled, or a case crashed (its row shows the
error and it counts as failed).
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import logging
import pkgutil
import shutil
import sys
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType

import faults.cases
from faults.result import CaseResult, summary, table

log = logging.getLogger("faults")
CASE_TIMEOUT = 900.0
KEEP_RUNS = 3


def prune(runs: Path, keep: int = KEEP_RUNS) -> None:
    """Old runs' data folders (Kafka logs, store files) add up: keep the latest few."""
    if runs.is_dir():
        for old in sorted(p for p in runs.iterdir() if p.is_dir())[:-keep]:
            shutil.rmtree(old, ignore_errors=True)


def discover() -> list[ModuleType]:
    """Every module in faults/cases, sorted by module name (c1_…, c2_…, …)."""
    names = sorted(m.name for m in pkgutil.iter_modules(faults.cases.__path__) if not m.name.startswith("_"))
    return [importlib.import_module(f"faults.cases.{name}") for name in names]


def selected(modules: list[ModuleType], wanted: list[str]) -> list[ModuleType]:
    """`--case c4` matches a module name or a CASE name by prefix."""
    if not wanted:
        return modules
    short = lambda m: m.__name__.rsplit(".", 1)[-1]  # noqa: E731
    chosen = [m for m in modules if any(short(m).startswith(w) or m.CASE.startswith(w) for w in wanted)]
    if not chosen:
        raise SystemExit(f"no case matches {wanted}; cases: {[short(m) for m in modules]}")
    return chosen


def run_case(module: ModuleType, workdir: Path) -> CaseResult:
    name = getattr(module, "CASE", module.__name__)
    started = time.monotonic()
    log.info("=== %s (under %s)", name, workdir)
    try:
        result = asyncio.run(asyncio.wait_for(module.run(workdir), CASE_TIMEOUT))
    except BaseException as exc:  # a crashed case is a failed row, and the suite goes on
        if isinstance(exc, KeyboardInterrupt):
            raise
        log.error("%s crashed:\n%s", name, traceback.format_exc())
        result = CaseResult(case=name, workload="-", lost=0, doubled=0, stalled=0, max_delay_s=0.0,
                            error=f"{type(exc).__name__}: {exc}".splitlines()[0][:160])
    log.info("=== %s done in %.0fs", name, time.monotonic() - started)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m faults", description=__doc__.splitlines()[0])
    parser.add_argument("--case", action="append", default=[], help="run only this case (name prefix); repeatable")
    parser.add_argument("--workdir", type=Path, help="where the cases keep processes' data and logs")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(levelname)s %(message)s")
    for noisy in ("httpx", "aiokafka"):  # one line per request or rebalance drowns the drill's own story
        logging.getLogger(noisy).setLevel(logging.WARNING)
    from fourx_local.paths import state_dir

    if args.workdir is None:
        prune(state_dir() / "faults", KEEP_RUNS - 1)
    root = args.workdir or state_dir() / "faults" / datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    started = time.monotonic()
    results = [run_case(m, root / m.__name__.rsplit(".", 1)[-1]) for m in selected(discover(), args.case)]
    log.info("fault suite done in %.0fs (logs under %s)", time.monotonic() - started, root)
    print(table(results))
    print(summary(results), flush=True)
    failed = any(r.lost or r.doubled or r.stalled or r.error for r in results)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
