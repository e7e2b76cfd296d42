"""Real processes for fault drills: one Kafka broker, one SecantusDB server and any number of
replicas of each service, every one its own OS process on 127.0.0.1, all under one work folder.

Invariant: whatever `Stack` started, `Stack.close()` stops (by pid, services first), and
`async with Stack(...)` calls it whatever happens, cancellation included. A replica keeps its
port across restarts, so clients can simply retry the same address.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import os
import signal
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from fourx_platform.kafka import KafkaSettings, ensure_topics
from fourx_local.kafka import KafkaBroker
from fourx_local.process import ManagedProcess, ProcessStartError, free_port, stop_pid
from fourx_local.stack import SERVICES, service_env, spawn_service
from fourx_local.store import SecantusServer

log = logging.getLogger("faults")

# What every service replica in a drill is told beyond what `make up` tells it: no periodic
# jobs that would add events nobody asked for (the daily check, the Monday bulletin).
DRILL_ENV = {
    "FOURX_DEV_MODE": "1",   # the per-district clock override the workload moves through its months
    "ISSUES_CHECK_EVERY_SECONDS": "0",
    "NOTIFY_SCHEDULE_EVERY_SECONDS": "0",
    "PYTHONUNBUFFERED": "1",
}


@dataclass
class Replica:
    service: str
    index: int
    port: int
    env: dict[str, str]
    log: Path
    proc: ManagedProcess | None = None

    @property
    def name(self) -> str:
        return f"{self.service}-{self.index}"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def alive(self) -> bool:
        return self.proc is not None and self.proc.alive()


@dataclass
class Stack:
    workdir: Path
    partitions: int = 3
    # Extra environment for every replica (e.g. the consumer failure policy's knobs).
    env: dict[str, str] = field(default_factory=dict)
    kafka: KafkaBroker | None = None
    kafka_proc: ManagedProcess | None = None
    store: SecantusServer | None = None
    store_proc: ManagedProcess | None = None
    replicas: dict[str, list[Replica]] = field(default_factory=dict)
    _rr: itertools.count = field(default_factory=itertools.count)

    # --- lifecycle --------------------------------------------------------------------------
    async def __aenter__(self) -> "Stack":
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def bootstrap(self) -> str:
        assert self.kafka is not None, "Kafka is not started"
        return self.kafka.bootstrap

    @property
    def mongo_uri(self) -> str:
        assert self.store is not None, "the store is not started"
        return self.store.uri

    async def start(self, services: tuple[str, ...] = tuple(SERVICES), replicas: int = 1) -> "Stack":
        """Kafka, the store, the topics, then `replicas` of each service, healthy."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        await self.start_kafka()
        await self.start_store()
        await ensure_topics(KafkaSettings(bootstrap=self.bootstrap, partitions=self.partitions))
        await asyncio.gather(*(self.start_replica(s) for s in services for _ in range(replicas)))
        return self

    async def start_kafka(self) -> None:
        if self.kafka is None:
            self.kafka = KafkaBroker(self.workdir / "kafka", free_port(), free_port(), self.partitions)
        log.info("starting Kafka on %s", self.kafka.bootstrap)
        self.kafka_proc = await asyncio.to_thread(self.kafka.start)

    async def start_store(self) -> None:
        """Start the store; a second call restarts it on the same port and data folder."""
        if self.store is None:
            self.store = SecantusServer(self.workdir / "store", free_port())
        log.info("starting SecantusDB on port %d", self.store.port)
        self.store_proc = await asyncio.to_thread(self.store.start)

    async def stop_store(self, sig: signal.Signals = signal.SIGTERM) -> None:
        """Stop the store process: SIGTERM (a clean shutdown) or SIGKILL."""
        if self.store_proc is not None:
            await _signal_and_wait(self.store_proc, sig)
            self.store_proc = None

    # --- services ----------------------------------------------------------------------------
    def _replica_env(self) -> dict[str, str]:
        notify = self.replicas.get("notify") or []
        notify_url = notify[0].url if notify else ""
        return {**service_env(self.bootstrap, self.mongo_uri, self.partitions, notify_url), **DRILL_ENV, **self.env}

    async def start_replica(self, service: str, extra_env: dict[str, str] | None = None) -> Replica:
        """A new replica of `service` on a port of its own, healthy when this returns."""
        existing = self.replicas.setdefault(service, [])
        index = len(existing)
        replica = Replica(service, index, free_port(), {**self._replica_env(), **(extra_env or {})},
                          self.workdir / "logs" / f"{service}-{index}.log")
        existing.append(replica)
        await self.restart(replica)
        return replica

    async def restart(self, replica: Replica, extra_env: dict[str, str] | None = None,
                      timeout: float = 90.0) -> None:
        """(Re)start a replica's process on its port; `extra_env` replaces the last overrides."""
        if replica.alive():
            raise RuntimeError(f"{replica.name} is still running")
        env = {**self._replica_env(), **(extra_env or {})}
        replica.env = env
        log.info("starting %s on %s", replica.name, replica.url)
        replica.proc = spawn_service(replica.service, replica.port, env, replica.log)
        await wait_healthy(replica, timeout)

    async def kill(self, replica: Replica, sig: signal.Signals = signal.SIGKILL) -> float:
        """Send `sig` and wait until the process is gone; returns how long that took."""
        started = time.monotonic()
        if replica.proc is not None:
            log.info("%s → %s", signal.Signals(sig).name, replica.name)
            await _signal_and_wait(replica.proc, sig)
        return time.monotonic() - started

    async def scale(self, service: str, n: int, sig: signal.Signals = signal.SIGTERM) -> None:
        """Run exactly `n` live replicas of `service`: start new ones, or stop the newest."""
        live = [r for r in self.replicas.get(service, []) if r.alive()]
        if len(live) < n:
            await asyncio.gather(*(self.start_replica(service) for _ in range(n - len(live))))
        for replica in reversed(live[n:]):
            await self.kill(replica, sig)

    def live(self, service: str) -> list[Replica]:
        return [r for r in self.replicas.get(service, []) if r.alive()]

    def url(self, service: str) -> str:
        """A replica's address, round robin over the live ones (any, if none is alive:
        a client retries it until it is back)."""
        candidates = self.live(service) or self.replicas.get(service, [])
        if not candidates:
            raise RuntimeError(f"no replica of {service} was started")
        return candidates[next(self._rr) % len(candidates)].url

    async def close(self) -> None:
        """Stop everything this stack started: services, then the store, then Kafka."""
        procs = [r.proc for rs in self.replicas.values() for r in rs if r.proc is not None]
        await asyncio.gather(*(asyncio.to_thread(stop_pid, p.pid, 15.0) for p in procs), return_exceptions=True)
        for proc in (self.store_proc, self.kafka_proc):
            if proc is not None:
                await asyncio.to_thread(proc.stop, 30.0)
        self.store_proc = self.kafka_proc = None


async def wait_healthy(replica: Replica, timeout: float = 90.0) -> None:
    """Until `/health` answers 200 (Kafka and store reachable) or the process dies."""
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient(timeout=2.0) as http:
        while time.monotonic() < deadline:
            if replica.proc is None or not replica.proc.alive():
                tail = replica.proc.tail(30) if replica.proc else ""
                raise ProcessStartError(f"{replica.name} exited while starting:\n{tail}")
            try:
                if (await http.get(f"{replica.url}/health")).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.3)
    raise ProcessStartError(f"{replica.name} was not healthy within {timeout:.0f}s:\n{replica.proc.tail(30)}")


async def _signal_and_wait(proc: ManagedProcess, sig: signal.Signals, timeout: float = 30.0) -> None:
    """Signal the process group; SIGKILL whatever is still there after `timeout`."""
    try:
        os.killpg(proc.pid, sig)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout
    while proc.alive():
        if time.monotonic() > deadline:
            await asyncio.to_thread(stop_pid, proc.pid, 0.1)
            break
        await asyncio.sleep(0.05)
    if proc.popen is not None:
        try:
            proc.popen.wait(timeout=1)
        except Exception:  # already reaped
            pass
