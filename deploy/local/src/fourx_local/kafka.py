"""A single-node Apache Kafka 4.x broker (combined KRaft broker + controller) run from the
Maven Central jars, the way the distribution's `bin/kafka-storage.sh` and
`bin/kafka-server-start.sh` run it: no tarball, no Docker.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import shutil
import subprocess
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from fourx_contracts.kafka_acl import ADMIN, PRINCIPALS
from fourx_contracts.kafka import KafkaSettings

from fourx_local.paths import cache_dir, repo_root
from fourx_local.process import ManagedProcess, wait_for_port

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
    """What `kafka-storage.sh random-uuid` prints: a URL-safe base64 UUID without padding."""
    return base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")


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

    def _java(self, libs: Path) -> list[str]:
        java = shutil.which("java")
        if java is None:
            raise KafkaSetupError("java is not on PATH: Kafka 4.x needs Java 17 or newer")
        return [
            java, "-Xms256m", "-Xmx768m", "-XX:+UseG1GC", "-Djava.awt.headless=true",
            "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
            "-Dorg.slf4j.simpleLogger.showDateTime=true",
            "-cp", f"{libs}/*",
        ]

    def format_storage(self, libs: Path) -> None:
        """Format once; a formatted folder survives restarts with its data."""
        props = self.data_dir / "server.properties"
        self.data_dir.mkdir(parents=True, exist_ok=True)
        props.touch(mode=0o600)  # it holds the admin's password
        props.write_text(self.server_properties())
        if (self.data_dir / "logs" / "meta.properties").exists():
            return
        cmd = self._java(libs) + [
            "kafka.tools.StorageTool", "format", "--standalone",
            # `=` form: a generated id may start with "-".
            f"--cluster-id={new_cluster_id()}", "--config", str(props),
            *(self.credentials.format_args() if self.credentials else []),
        ]
        result = subprocess.run(cmd, capture_output=True, text=True)
        if result.returncode != 0:
            raise KafkaSetupError(f"formatting Kafka storage failed:\n{result.stdout}\n{result.stderr}")

    def secure(self) -> "KafkaBroker":
        """Use SASL/SCRAM + ACLs with the credentials kept in the data folder. A folder formatted
        before (without them) cannot gain SCRAM users offline: it is set aside and reformatted."""
        creds_file = self.data_dir / "credentials.json"
        if (self.data_dir / "logs").exists() and not creds_file.exists():
            self.data_dir.rename(self.data_dir.with_name(f"{self.data_dir.name}.unsecured-{int(time.time())}"))
        self.credentials = KafkaCredentials.load_or_create(creds_file)
        return self

    def start(self, timeout: float = 90.0) -> ManagedProcess:
        libs = kafka_libs()
        self.format_storage(libs)
        cmd = self._java(libs) + ["kafka.Kafka", str(self.data_dir / "server.properties")]
        proc = ManagedProcess.spawn("kafka", cmd, self.data_dir / "kafka.log")
        wait_for_port("127.0.0.1", self.port, timeout, proc)
        return proc
