"""The whole stack on one machine: Kafka, the store and the three services as background
processes, remembered by pid in `.fourx/stack.json` so another command can stop them."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import httpx
from fourx_platform.kafka_acl import ensure_acls
from fourx_platform.kafka import KafkaSettings, ensure_topics

from fourx_local.kafka import KafkaBroker, KafkaCluster, KafkaCredentials
from fourx_local.paths import state_dir
from fourx_local.process import ManagedProcess, ProcessStartError, free_port, pid_alive, port_open, stop_pid
from fourx_local.store import SecantusServer
from fourx_local import tokens

# name → (ASGI app factory, preferred port)
SERVICES: dict[str, tuple[str, int]] = {
    "meetings": ("fourx_meetings.bootstrap:create_app", 8101),
    "issues": ("fourx_issues.bootstrap:create_app", 8102),
    "notify": ("fourx_notify.bootstrap:create_app", 8103),
}
PREFERRED_PORTS = {"kafka": 19092, "kafka-controller": 19093, "store": 27117}
# The web console's backend-for-frontend: one origin for the browser (fourx_portal).
PORTAL = "portal"
PORTAL_FACTORY = "fourx_portal.bootstrap:create_app"
PORTAL_PORT = 8100
REPLICA_PORT_STEP = 10   # replica n of a service prefers its port + 10·(n-1): 8101, 8111, 8121, …


def replica_name(service: str, n: int) -> str:
    """The first replica keeps the service's own name (so `urls` and every client of one
    stack are unchanged); the others are `meetings-2`, `meetings-3`, …"""
    return service if n == 1 else f"{service}-{n}"


def service_of(component: str) -> str | None:
    """The service a component runs (`issues-3` → issues), None for Kafka and the store."""
    base, _, n = component.rpartition("-")
    if component in SERVICES:
        return component
    return base if base in SERVICES and n.isdigit() else None
DEMO_WEBHOOK = "127.0.0.1:8026"   # the demo's receiver (fourx_local.demo.notify.WEBHOOK_PORT)


@dataclass
class Component:
    name: str
    pid: int | None          # None: not ours (given by the environment), so never stopped by us
    address: str
    log: str = ""


@dataclass
class StackState:
    kafka_bootstrap: str
    mongo_uri: str
    components: list[Component] = field(default_factory=list)

    @property
    def urls(self) -> dict[str, str]:
        return {c.name: c.address for c in self.components if c.name in SERVICES}

    @property
    def portal_url(self) -> str | None:
        return next((c.address for c in self.components if c.name == PORTAL), None)

    def replica_urls(self, service: str) -> list[str]:
        """Every replica's address, the first one first."""
        return [c.address for c in self.components if service_of(c.name) == service]

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(asdict(self), indent=2, ensure_ascii=False))

    @classmethod
    def load(cls, path: Path) -> "StackState | None":
        if not path.exists():
            return None
        raw = json.loads(path.read_text())
        return cls(raw["kafka_bootstrap"], raw["mongo_uri"], [Component(**c) for c in raw["components"]])


def state_file() -> Path:
    return state_dir() / "stack.json"


def kafka_credentials_file() -> Path:
    return state_dir() / "kafka" / "credentials.json"


def kafka_settings(bootstrap: str, principal: str, **extra: object) -> KafkaSettings:
    """How `principal` reaches the stack's Kafka: with its SCRAM password when the stack runs
    its own broker (the passwords were generated with its storage, `.fourx/kafka/credentials.json`);
    from the KAFKA_… environment when KAFKA_BOOTSTRAP names another broker."""
    creds_file = kafka_credentials_file()
    if os.environ.get("KAFKA_BOOTSTRAP") or not creds_file.exists():
        return KafkaSettings(bootstrap=bootstrap, **extra)
    return KafkaCredentials.load_or_create(creds_file).settings(bootstrap, principal, **extra)


def _port(name: str, ports: dict[str, int]) -> int:
    """The port used last time (the Kafka data folder remembers its listeners), else the
    preferred one, else any free one."""
    for candidate in (ports.get(name), PREFERRED_PORTS.get(name)):
        if candidate and not port_open("127.0.0.1", candidate):
            return candidate
    return free_port()


def service_env(kafka_bootstrap: str, mongo_uri: str, partitions: int, notify_url: str) -> dict[str, str]:
    """What every service process is told about its surroundings (the fault suite adds knobs)."""
    return {"KAFKA_BOOTSTRAP": kafka_bootstrap, "KAFKA_PARTITIONS": str(partitions),
            "MONGO_URI": mongo_uri, "NOTIFY_PUBLIC_URL": notify_url,
            # The local stack is dev mode (plain-http webhooks, `.test` mail domains), and the
            # demo's webhook receiver is the one internal target it may send to.
            "FOURX_DEV_MODE": os.environ.get("FOURX_DEV_MODE", "1"),
            "FOURX_WEBHOOK_ALLOWLIST": os.environ.get("FOURX_WEBHOOK_ALLOWLIST", DEMO_WEBHOOK),
            # The stack's own token key (made on the first `up`) and its operator.
            **tokens.service_env()}


def spawn_service(name: str, port: int, env: dict[str, str], log: Path) -> ManagedProcess:
    """One service as its own OS process (`uvicorn --factory`), listening on 127.0.0.1:`port`."""
    factory, _preferred = SERVICES[name]
    cmd = [sys.executable, "-m", "uvicorn", "--factory", factory, "--host", "127.0.0.1",
           "--port", str(port), "--log-level", "warning"]
    return ManagedProcess.spawn(name, cmd, log, env=env)


def portal_env(kafka_bootstrap: str, urls: dict[str, str], kafka: KafkaSettings) -> dict[str, str]:
    """The portal as the local stack runs it: dev mode (the picker, `/login?as=`) with the
    stack's signing key — the one process of the stack that holds it, to sign dev sessions —
    the first replica of each service behind its proxy, and Kafka as the `portal` principal."""
    return {**tokens.service_env(), **tokens.signer_env(), **kafka.env(),
            "FOURX_PORTAL_MEETINGS_URL": urls["meetings"], "FOURX_PORTAL_ISSUES_URL": urls["issues"],
            "FOURX_PORTAL_NOTIFY_URL": urls["notify"],
            "FOURX_DEV_MODE": os.environ.get("FOURX_DEV_MODE", "1")}


def spawn_portal(port: int, env: dict[str, str], log: Path) -> ManagedProcess:
    cmd = [sys.executable, "-m", "uvicorn", "--factory", PORTAL_FACTORY, "--host", "127.0.0.1",
           "--port", str(port), "--log-level", "warning", "--no-access-log"]
    return ManagedProcess.spawn(PORTAL, cmd, log, env=env)


def start_portal(state: StackState, ports: dict[str, int], settings: KafkaSettings,
                 say: Callable[[str], None]) -> Component:
    ports[PORTAL] = _port(PORTAL, {PORTAL: ports.get(PORTAL) or PORTAL_PORT})
    url = f"http://127.0.0.1:{ports[PORTAL]}"
    say(f"starting portal (web console) on {url} …")
    proc = spawn_portal(ports[PORTAL], portal_env(state.kafka_bootstrap, state.urls, settings),
                        state_dir() / "logs" / f"{PORTAL}.log")
    component = Component(PORTAL, proc.pid, url, str(proc.log))
    state.components.append(component)
    return component


def wait_healthy(url: str, proc: ManagedProcess, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not proc.alive():
            raise ProcessStartError(f"{proc.name} exited while starting:\n{proc.tail(40)}")
        try:
            if httpx.get(f"{url}/health", timeout=2.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise ProcessStartError(f"{proc.name} was not healthy at {url} within {timeout:.0f}s:\n{proc.tail(40)}")


def up(partitions: int = 6, say: Callable[[str], None] = print, kafka_nodes: int = 1,
       replicas: int = 1) -> StackState:
    """Start whatever is not running yet; return where everything is. `kafka_nodes` > 1: a
    KRaft cluster of that many combined nodes, topics replicated (see `KafkaCluster`).
    `replicas` > 1: that many processes of each service, each on a port of its own, all of
    a service in its one consumer group (the partitions are shared among them); the periodic
    jobs run on every replica and stay single by their deterministic ids and claims."""
    if replicas < 1:
        raise ValueError("replicas must be at least 1")
    path = state_file()
    current = StackState.load(path)
    if current and all(c.pid is None or pid_alive(c.pid) for c in current.components):
        if current.portal_url is None and "kafka" in {c.name for c in current.components}:
            # A stack started before the portal existed: add it.
            _add_portal(current, path, say)
        say("fourx stack already running")
        return current
    if current:
        down(say=lambda _m: None)
    base = state_dir()
    ports_file = base / "ports.json"
    ports: dict[str, int] = json.loads(ports_file.read_text()) if ports_file.exists() else {}
    components: list[Component] = []
    state = StackState("", "", components)
    try:
        topic_settings: dict[str, int] = {}
        if os.environ.get("KAFKA_BOOTSTRAP"):
            state.kafka_bootstrap = os.environ["KAFKA_BOOTSTRAP"]
            components.append(Component("kafka", None, state.kafka_bootstrap))
        elif kafka_nodes > 1:
            say(f"starting Kafka (KRaft, {kafka_nodes} combined nodes) …")
            cluster = KafkaCluster(base / "kafka-cluster", nodes=kafka_nodes, partitions=partitions)
            try:
                cluster.start()
            finally:  # remembered even when a node failed to start, so `down` stops the others
                components.extend(Component(f"kafka-{n.node_id}", n.proc.pid, n.address, str(n.proc.log))
                                  for n in cluster.members if n.proc is not None)
                state.save(path)
            asyncio.run(cluster.wait_ready())
            state.kafka_bootstrap = cluster.bootstrap
            topic_settings = {"replication": cluster.replication, "min_insync_replicas": cluster.min_insync}
        else:
            ports["kafka"], ports["kafka-controller"] = _port("kafka", ports), _port("kafka-controller", ports)
            say(f"starting Kafka (KRaft, single node) on 127.0.0.1:{ports['kafka']} …")
            broker = KafkaBroker(base / "kafka", ports["kafka"], ports["kafka-controller"], partitions).secure()
            proc = broker.start()
            state.kafka_bootstrap = broker.bootstrap
            components.append(Component("kafka", proc.pid, broker.bootstrap, str(proc.log)))
        if os.environ.get("MONGO_URI"):
            state.mongo_uri = os.environ["MONGO_URI"]
            components.append(Component("store", None, state.mongo_uri))
        else:
            ports["store"] = _port("store", ports)
            say(f"starting SecantusDB on 127.0.0.1:{ports['store']} …")
            server = SecantusServer(base / "store", ports["store"])
            proc = server.start()
            state.mongo_uri = server.uri
            components.append(Component("store", proc.pid, server.uri, str(proc.log)))
        ports_file.write_text(json.dumps(ports))
        state.save(path)
        say("creating topics …")
        # The single local node runs SASL/SCRAM with ACLs; the opt-in cluster (a fault-drill
        # rig) runs PLAINTEXT, and a broker named by KAFKA_BOOTSTRAP takes the KAFKA_… settings.
        secured = kafka_nodes == 1

        def settings_for(principal: str) -> KafkaSettings:
            if not secured:
                return KafkaSettings(bootstrap=state.kafka_bootstrap, partitions=partitions, **topic_settings)
            return kafka_settings(state.kafka_bootstrap, principal, partitions=partitions)

        admin = settings_for("admin")
        asyncio.run(ensure_topics(admin))
        if admin.sasl and not os.environ.get("KAFKA_BOOTSTRAP"):
            say("granting each service its topics (ACLs) …")
            asyncio.run(ensure_acls(admin))
        urls: dict[str, str] = {}
        for service, (_factory, preferred) in SERVICES.items():
            for n in range(1, replicas + 1):
                name = replica_name(service, n)
                wanted = preferred + REPLICA_PORT_STEP * (n - 1)
                ports[name] = _port(name, {name: ports.get(name) or wanted})
                urls[name] = f"http://127.0.0.1:{ports[name]}"
        env = service_env(state.kafka_bootstrap, state.mongo_uri, partitions, urls["notify"])
        for service in SERVICES:
            for n in range(1, replicas + 1):
                name = replica_name(service, n)
                say(f"starting {name} service on {urls[name]} …")
                # Each service as its own Kafka principal: it may write only the topics it owns.
                own = {**env, **settings_for(service).env()}
                proc = spawn_service(service, ports[name], own, base / "logs" / f"{name}.log")
                components.append(Component(name, proc.pid, urls[name], str(proc.log)))
                state.save(path)
        for component in components:
            if service_of(component.name):
                wait_healthy(component.address, ManagedProcess(component.name, component.pid, Path(component.log)))
        portal = start_portal(state, ports, settings_for(PORTAL), say)
        state.save(path)
        wait_healthy(portal.address, ManagedProcess(portal.name, portal.pid, Path(portal.log)))
        ports_file.write_text(json.dumps(ports))
        state.save(path)
        return state
    except BaseException:
        down(say=lambda _m: None)
        raise


def _add_portal(state: StackState, path: Path, say: Callable[[str], None]) -> None:
    ports_file = state_dir() / "ports.json"
    ports: dict[str, int] = json.loads(ports_file.read_text()) if ports_file.exists() else {}
    creds = kafka_credentials_file()
    if creds.exists() and not os.environ.get("KAFKA_BOOTSTRAP") and KafkaCredentials.lacks_principals(creds):
        say("this stack's Kafka predates the portal's principal: `make down && make up` starts the portal")
        return
    portal = start_portal(state, ports, kafka_settings(state.kafka_bootstrap, PORTAL), say)
    state.save(path)
    wait_healthy(portal.address, ManagedProcess(portal.name, portal.pid, Path(portal.log)))
    ports_file.write_text(json.dumps(ports))


def down(say: Callable[[str], None] = print) -> int:
    """Stop what `up` started (services first), by pid; returns how many were stopped."""
    path = state_file()
    state = StackState.load(path)
    if state is None:
        say("fourx stack is not running")
        return 0
    stopped = 0
    running = [c for c in reversed(state.components) if c.pid is not None and pid_alive(c.pid)]
    # A cluster's nodes stop together: one by one, the last waits for a quorum in vain.
    nodes = [c for c in running if c.name.startswith("kafka-")]
    for component in [c for c in running if c not in nodes]:
        say(f"stopping {component.name} (pid {component.pid}) …")
        stop_pid(component.pid)
        stopped += 1
    if nodes:
        stopped += _stop_together(nodes, say)
    path.unlink(missing_ok=True)
    return stopped


def _stop_together(components: list[Component], say: Callable[[str], None]) -> int:
    say(f"stopping {', '.join(c.name for c in components)} …")
    with ThreadPoolExecutor(len(components)) as pool:
        list(pool.map(lambda c: stop_pid(c.pid), components))
    return len(components)


def status() -> list[tuple[str, str, str, str]]:
    """(name, pid, address, running?) for each component of the current stack."""
    state = StackState.load(state_file())
    if state is None:
        return []
    rows = []
    for c in state.components:
        running = "external" if c.pid is None else ("running" if pid_alive(c.pid) else "stopped")
        rows.append((c.name, str(c.pid or "-"), c.address, running))
    return rows
