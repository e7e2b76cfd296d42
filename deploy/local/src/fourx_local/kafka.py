"""Apache Kafka 4.x run from the Maven Central jars, the way the distribution's
`bin/kafka-storage.sh` and `bin/kafka-server-start.sh` run it: no tarball, no Docker.

`KafkaBroker` is one combined KRaft broker + controller (`make up`, the tests);
`KafkaCluster` is several combined nodes with a replicated metadata quorum (the fault suite).
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import secrets
import shutil
import signal
import subprocess
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from fourx_platform.kafka_acl import ADMIN, PRINCIPALS
from fourx_platform.kafka import KafkaSettings

from fourx_local.paths import cache_dir, repo_root
from fourx_local.process import ManagedProcess, free_port, pid_alive, wait_for_port

# aiokafka 0.14 speaks the protocol versions Kafka 4.x still accepts; 4.4.0 is the newest
# release on Maven Central and passes the whole suite (see README).
KAFKA_VERSION = os.environ.get("FOURX_KAFKA_VERSION", "4.4.0")


class KafkaSetupError(RuntimeError):
    pass


def kafka_libs(version: str = KAFKA_VERSION) -> Path:
    """The broker's jars, fetched once with Maven into a cache outside the source tree."""
    libs = cache_dir() / f"kafka-{version}" / "libs"
    if (libs / f"kafka_2.13-{version}.jar").exists():
        return libs
    mvn = shutil.which("mvn")
    if mvn is None:
        raise KafkaSetupError("mvn is not on PATH: Maven is needed to fetch the Kafka broker jars")
    pom = repo_root() / "deploy" / "kafka" / "pom.xml"
    tmp = libs.with_name("libs.partial")
    shutil.rmtree(tmp, ignore_errors=True)
    cmd = [
        mvn, "-q", "-B", "-f", str(pom), "dependency:copy-dependencies",
        f"-Dkafka.version={version}", f"-DoutputDirectory={tmp}", "-DincludeScope=runtime",
    ]
    result = subprocess.run(cmd, capture_output=True, text=True)
    if result.returncode != 0:
        raise KafkaSetupError(f"fetching Kafka {version} with Maven failed:\n{result.stdout}\n{result.stderr}")
    shutil.rmtree(libs, ignore_errors=True)
    tmp.rename(libs)
    return libs


def new_cluster_id() -> str:
    """What `kafka-storage.sh random-uuid` prints: a URL-safe base64 UUID without padding.
    Like Kafka's `Uuid.randomUuid`, never one starting with "-" (it reads as a CLI flag)."""
    while True:
        value = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not value.startswith("-"):
            return value


def _java(libs: Path, heap: str = "768m") -> list[str]:
    java = shutil.which("java")
    if java is None:
        raise KafkaSetupError("java is not on PATH: Kafka 4.x needs Java 17 or newer")
    return [
        java, f"-Xms{min(256, _megabytes(heap))}m", f"-Xmx{heap}", "-XX:+UseG1GC", "-Djava.awt.headless=true",
        "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
        "-Dorg.slf4j.simpleLogger.showDateTime=true",
        "-cp", f"{libs}/*",
    ]


def _megabytes(heap: str) -> int:
    number, unit = int(heap[:-1]), heap[-1].lower()
    return number * 1024 if unit == "g" else number


def _format(libs: Path, props: Path, cluster_id: str, quorum_args: list[str], heap: str = "768m") -> None:
    cmd = _java(libs, heap) + [
        # `=` form: a generated id may start with "-".
        "kafka.tools.StorageTool", "format", f"--cluster-id={cluster_id}", *quorum_args, "--config", str(props),
    ]
    result = subprocess.run(cmd, capture_output=True, text=True)
    if result.returncode != 0:
        raise KafkaSetupError(f"formatting Kafka storage failed:\n{result.stdout}\n{result.stderr}")


@dataclass
class KafkaCredentials:
    """SCRAM passwords of the fourx principals (admin, one per service, ops), generated for
    one broker's storage — SCRAM credentials are written when the storage is formatted — and
    kept next to it (`credentials.json`, mode 0600), never in the source tree."""

    passwords: dict[str, str]
    mechanism: str = "SCRAM-SHA-256"

    @classmethod
    def generate(cls) -> "KafkaCredentials":
        # Hex: nothing the `[name=…,password=…]` syntax or a JAAS string would need quoted.
        return cls({name: secrets.token_hex(24) for name in PRINCIPALS})

    @classmethod
    def load_or_create(cls, path: Path) -> "KafkaCredentials":
        if path.exists():
            raw = json.loads(path.read_text())
            return cls(raw["passwords"], raw.get("mechanism", "SCRAM-SHA-256"))
        creds = cls.generate()
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(json.dumps({"mechanism": creds.mechanism, "passwords": creds.passwords}, indent=2))
        return creds

    @staticmethod
    def lacks_principals(path: Path) -> bool:
        """The file was written before one of today's principals existed."""
        try:
            return not set(PRINCIPALS) <= set(json.loads(path.read_text())["passwords"])
        except (OSError, ValueError, KeyError):
            return False

    def format_args(self) -> list[str]:
        """`kafka-storage format --add-scram …` for every principal (KIP-900)."""
        return [arg for name, password in self.passwords.items()
                for arg in ("--add-scram", f"{self.mechanism}=[name={name},password={password}]")]

    def settings(self, bootstrap: str, principal: str = ADMIN, **extra: object) -> KafkaSettings:
        return KafkaSettings(bootstrap=bootstrap, security_protocol="SASL_PLAINTEXT",
                             sasl_mechanism=self.mechanism, username=principal,
                             password=self.passwords[principal], **extra)

    def env(self, principal: str) -> dict[str, str]:
        """The KAFKA_… variables a process authenticating as `principal` reads."""
        return {"KAFKA_SECURITY_PROTOCOL": "SASL_PLAINTEXT", "KAFKA_SASL_MECHANISM": self.mechanism,
                "KAFKA_USERNAME": principal, "KAFKA_PASSWORD": self.passwords[principal]}


def security_properties(creds: KafkaCredentials | None, client_listener: str = "BROKER") -> list[str]:
    """Listener security of a node (a cluster's nodes can share it): without credentials
    everything is PLAINTEXT; with them the client (and inter-broker) listener takes SASL/SCRAM,
    the controller listener SASL/PLAIN as the admin (a static JAAS user: the controllers must
    authenticate before any SCRAM credential is readable), and the standard authorizer denies
    what no ACL allows. No TLS: the listeners are on loopback (README: production uses SASL_SSL)."""
    if creds is None:
        return [f"listener.security.protocol.map=CONTROLLER:PLAINTEXT,{client_listener}:PLAINTEXT"]
    admin = creds.passwords[ADMIN]
    mech = creds.mechanism
    return [
        f"listener.security.protocol.map=CONTROLLER:SASL_PLAINTEXT,{client_listener}:SASL_PLAINTEXT",
        f"listener.name.{client_listener.lower()}.sasl.enabled.mechanisms={mech}",
        f"sasl.mechanism.inter.broker.protocol={mech}",
        f"listener.name.{client_listener.lower()}.{mech.lower()}.sasl.jaas.config="
        f'org.apache.kafka.common.security.scram.ScramLoginModule required username="{ADMIN}" password="{admin}";',
        "listener.name.controller.sasl.enabled.mechanisms=PLAIN",
        "sasl.mechanism.controller.protocol=PLAIN",
        "listener.name.controller.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule "
        f'required username="{ADMIN}" password="{admin}" user_{ADMIN}="{admin}";',
        "authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer",
        f"super.users=User:{ADMIN}",
        "allow.everyone.if.no.acl.found=false",
    ]


@dataclass
class KafkaBroker:
    data_dir: Path
    port: int
    controller_port: int
    partitions: int = 6
    # SASL/SCRAM + ACLs when set (the local stack and the test suite); None: PLAINTEXT.
    credentials: KafkaCredentials | None = field(default=None, repr=False)

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def settings(self, principal: str = ADMIN, **extra: object) -> KafkaSettings:
        """How a client authenticating as `principal` reaches this broker."""
        if self.credentials is None:
            return KafkaSettings(bootstrap=self.bootstrap, **extra)
        return self.credentials.settings(self.bootstrap, principal, **extra)

    def server_properties(self) -> str:
        return "\n".join([
            "process.roles=broker,controller",
            "node.id=1",
            f"controller.quorum.bootstrap.servers=127.0.0.1:{self.controller_port}",
            f"listeners=BROKER://127.0.0.1:{self.port},CONTROLLER://127.0.0.1:{self.controller_port}",
            f"advertised.listeners=BROKER://127.0.0.1:{self.port}",
            "controller.listener.names=CONTROLLER",
            "inter.broker.listener.name=BROKER",
            *security_properties(self.credentials),
            f"log.dirs={self.data_dir / 'logs'}",
            f"num.partitions={self.partitions}",
            # One node: every internal topic has a single replica.
            "offsets.topic.replication.factor=1",
            "offsets.topic.num.partitions=6",
            "transaction.state.log.replication.factor=1",
            "transaction.state.log.min.isr=1",
            "share.coordinator.state.topic.replication.factor=1",
            "share.coordinator.state.topic.min.isr=1",
            "group.initial.rebalance.delay.ms=0",
            # The project creates its own topics (fourx_contracts.topics); a typo must not
            # silently create a new one.
            "auto.create.topics.enable=false",
            "log.retention.hours=168",
            "",
        ])

    def format_storage(self, libs: Path) -> None:
        """Format once; a formatted folder survives restarts with its data."""
        props = self.data_dir / "server.properties"
        self.data_dir.mkdir(parents=True, exist_ok=True)
        props.touch(mode=0o600)  # it holds the admin's password
        props.write_text(self.server_properties())
        if (self.data_dir / "logs" / "meta.properties").exists():
            return
        _format(libs, props, new_cluster_id(),
                ["--standalone", *(self.credentials.format_args() if self.credentials else [])])

    def secure(self) -> "KafkaBroker":
        """Use SASL/SCRAM + ACLs with the credentials kept in the data folder. A folder formatted
        before (without them) cannot gain SCRAM users offline: it is set aside and reformatted."""
        creds_file = self.data_dir / "credentials.json"
        if (self.data_dir / "logs").exists() and not creds_file.exists():
            self.data_dir.rename(self.data_dir.with_name(f"{self.data_dir.name}.unsecured-{int(time.time())}"))
        elif (self.data_dir / "logs").exists() and KafkaCredentials.lacks_principals(creds_file):
            # Formatted before a principal existed (e.g. `portal`): likewise set aside.
            self.data_dir.rename(self.data_dir.with_name(f"{self.data_dir.name}.before-{int(time.time())}"))
        self.credentials = KafkaCredentials.load_or_create(creds_file)
        return self

    def start(self, timeout: float = 90.0) -> ManagedProcess:
        libs = kafka_libs()
        self.format_storage(libs)
        cmd = _java(libs) + ["kafka.Kafka", str(self.data_dir / "server.properties")]
        proc = ManagedProcess.spawn("kafka", cmd, self.data_dir / "kafka.log")
        wait_for_port("127.0.0.1", self.port, timeout, proc)
        return proc


@dataclass
class ClusterNode:
    """One combined broker + controller of a `KafkaCluster`; its ports never change, so it
    can be killed and started again on the same data folder."""

    node_id: int
    port: int
    controller_port: int
    directory_id: str        # the metadata log folder's id, named in --initial-controllers
    data_dir: Path
    proc: ManagedProcess | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def alive(self) -> bool:
        return self.proc is not None and self.proc.alive()


@dataclass
class KafkaCluster:
    """`nodes` combined KRaft broker + controller processes on 127.0.0.1 forming a dynamic
    (KIP-853) controller quorum, bootstrapped with all of them as voters: each node's storage
    is formatted with the same cluster id and the same `--initial-controllers` list.

    Invariants: replicated by default (`default.replication.factor`, and every internal topic,
    = min(3, nodes)) with `min.insync.replicas` = that − 1, so one node may die without an
    acks=all producer stopping or losing a record; unclean leader election stays off. Ids and
    ports are kept in `cluster.json` under `data_dir`, so a killed node restarts as itself.
    """

    data_dir: Path
    nodes: int = 3
    partitions: int = 6
    heap: str = "384m"
    # A killed broker's partitions move once its session times out (default 9 s): shorter,
    # so a fault case measures Kafka's failover rather than a timer.
    session_timeout_ms: int = 4000
    members: list[ClusterNode] = field(default_factory=list)
    cluster_id: str = ""

    @property
    def replication(self) -> int:
        return min(3, self.nodes)

    @property
    def min_insync(self) -> int:
        return max(1, self.replication - 1)

    @property
    def bootstrap(self) -> str:
        return ",".join(n.address for n in self.members)

    def node(self, node_id: int) -> ClusterNode:
        return next(n for n in self.members if n.node_id == node_id)

    def _layout(self) -> None:
        """Load ids and ports from `cluster.json`, or choose them once."""
        layout_file = self.data_dir / "cluster.json"
        if layout_file.exists():
            raw = json.loads(layout_file.read_text())
        else:
            raw = {"cluster_id": new_cluster_id(),
                   "nodes": [{"node_id": i, "port": free_port(), "controller_port": free_port(),
                              "directory_id": new_cluster_id()} for i in range(1, self.nodes + 1)]}
            self.data_dir.mkdir(parents=True, exist_ok=True)
            layout_file.write_text(json.dumps(raw, indent=2))
        self.cluster_id = raw["cluster_id"]
        self.members = [ClusterNode(n["node_id"], n["port"], n["controller_port"], n["directory_id"],
                                    self.data_dir / f"node-{n['node_id']}") for n in raw["nodes"]]
        self.nodes = len(self.members)

    def server_properties(self, node: ClusterNode) -> str:
        controllers = ",".join(f"127.0.0.1:{n.controller_port}" for n in self.members)
        return "\n".join([
            "process.roles=broker,controller",
            f"node.id={node.node_id}",
            f"controller.quorum.bootstrap.servers={controllers}",
            f"listeners=PLAINTEXT://127.0.0.1:{node.port},CONTROLLER://127.0.0.1:{node.controller_port}",
            f"advertised.listeners=PLAINTEXT://127.0.0.1:{node.port},CONTROLLER://127.0.0.1:{node.controller_port}",
            "controller.listener.names=CONTROLLER",
            "inter.broker.listener.name=PLAINTEXT",
            "listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
            f"log.dirs={node.data_dir / 'logs'}",
            f"num.partitions={self.partitions}",
            f"default.replication.factor={self.replication}",
            f"min.insync.replicas={self.min_insync}",
            "unclean.leader.election.enable=false",
            f"offsets.topic.replication.factor={self.replication}",
            "offsets.topic.num.partitions=6",
            f"transaction.state.log.replication.factor={self.replication}",
            f"transaction.state.log.min.isr={self.min_insync}",
            f"share.coordinator.state.topic.replication.factor={self.replication}",
            f"share.coordinator.state.topic.min.isr={self.min_insync}",
            "group.initial.rebalance.delay.ms=0",
            "broker.heartbeat.interval.ms=1000",
            f"broker.session.timeout.ms={self.session_timeout_ms}",
            "auto.create.topics.enable=false",
            "log.retention.hours=168",
            "",
        ])

    def _prepare(self, libs: Path, node: ClusterNode) -> Path:
        node.data_dir.mkdir(parents=True, exist_ok=True)
        props = node.data_dir / "server.properties"
        props.write_text(self.server_properties(node))
        if not (node.data_dir / "logs" / "meta.properties").exists():
            # The same voter list on every node: all three bootstrap the quorum together.
            voters = ",".join(f"{n.node_id}@127.0.0.1:{n.controller_port}:{n.directory_id}" for n in self.members)
            _format(libs, props, self.cluster_id, [f"--initial-controllers={voters}"], heap="256m")
        return props

    def start(self, timeout: float = 120.0) -> None:
        """Start every node that is not running and wait until each listens."""
        libs = kafka_libs()
        if not self.members:
            self._layout()
        # All spawned before any is waited for: a node's controller waits for a quorum.
        waiting = [(node, self._spawn(libs, node)) for node in self.members if not node.alive()]
        for node, proc in waiting:
            wait_for_port("127.0.0.1", node.port, timeout, proc)

    def start_node(self, node_id: int, timeout: float = 120.0) -> None:
        """Start one node again on its data folder and ports (after `kill`)."""
        node = self.node(node_id)
        if node.alive():
            return
        wait_for_port("127.0.0.1", node.port, timeout, self._spawn(kafka_libs(), node))

    def _spawn(self, libs: Path, node: ClusterNode) -> ManagedProcess:
        props = self._prepare(libs, node)
        node.proc = ManagedProcess.spawn(f"kafka-{node.node_id}", _java(libs, self.heap) + ["kafka.Kafka", str(props)],
                                         node.data_dir / "kafka.log")
        return node.proc

    async def wait_ready(self, timeout: float = 120.0) -> None:
        """Until every running node is a registered, unfenced broker (metadata lists it)."""
        from aiokafka.admin import AIOKafkaAdminClient

        want = {n.node_id for n in self.members if n.alive()}
        deadline = time.monotonic() + timeout
        seen: set[int] = set()
        while time.monotonic() < deadline:
            admin = AIOKafkaAdminClient(bootstrap_servers=self.bootstrap, client_id="fourx-cluster",
                                        request_timeout_ms=5000)
            try:
                await admin.start()
                seen = {b["node_id"] for b in (await admin.describe_cluster())["brokers"]}
                if want <= seen:
                    return
            except Exception:  # a node still starting refuses or times out: ask again
                pass
            finally:
                await admin.close()
            await asyncio.sleep(0.5)
        raise KafkaSetupError(f"brokers {sorted(want - seen)} did not join within {timeout:.0f}s")

    async def leader_of(self, topic: str, partition: int = 0) -> int:
        """The node leading `topic`'s partition now (-1 while there is none)."""
        return (await self.partition_state(topic, partition))[0]

    async def partition_state(self, topic: str, partition: int = 0) -> tuple[int, list[int]]:
        """(leader, in-sync replicas) of one partition, as the live nodes' metadata says."""
        from aiokafka.admin import AIOKafkaAdminClient
        from aiokafka.errors import KafkaError

        for _ in range(20):
            # Metadata lists a killed broker until its session expires; a request routed to
            # it fails, so ask again with a fresh client.
            live = ",".join(n.address for n in self.members if n.alive())
            admin = AIOKafkaAdminClient(bootstrap_servers=live, client_id="fourx-cluster", request_timeout_ms=5000)
            try:
                await admin.start()
                for described in await admin.describe_topics([topic]):
                    for p in described["partitions"]:
                        if p["partition"] == partition:
                            return int(p["leader"]), sorted(int(r) for r in p["isr"])
                return -1, []
            except KafkaError:
                await asyncio.sleep(0.25)
            finally:
                await admin.close()
        return -1, []

    def kill(self, node_id: int) -> None:
        """SIGKILL: no controlled shutdown, no flush; the node's leaderships move only when
        its broker session times out."""
        node = self.node(node_id)
        if node.proc is None:
            return
        kill_now(node.proc)

    def stop(self) -> None:
        """All nodes at once: one by one, the last left waits in vain for a quorum to shut
        down in a controlled way, and is only SIGKILLed after the timeout."""
        running = [n.proc for n in self.members if n.proc is not None]
        if running:
            with ThreadPoolExecutor(len(running)) as pool:
                list(pool.map(lambda proc: proc.stop(), running))


def kill_now(proc: ManagedProcess, timeout: float = 10.0) -> None:
    """SIGKILL a process group and wait until it is gone (reaped, when it is our child)."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    if proc.popen is not None:
        try:
            proc.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            pass
    deadline = time.monotonic() + timeout
    while pid_alive(proc.pid) and time.monotonic() < deadline:
        time.sleep(0.05)
