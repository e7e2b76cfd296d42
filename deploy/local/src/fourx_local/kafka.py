"""A single-node Apache Kafka 4.x broker (combined KRaft broker + controller) run from the
Maven Central jars, the way the distribution's `bin/kafka-storage.sh` and
`bin/kafka-server-start.sh` run it: no tarball, no Docker.
"""

from __future__ import annotations

import base64
import os
import shutil
import subprocess
import uuid
from dataclasses import dataclass
from pathlib import Path

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
class KafkaBroker:
    data_dir: Path
    port: int
    controller_port: int
    partitions: int = 6

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def server_properties(self) -> str:
        return "\n".join([
            "process.roles=broker,controller",
            "node.id=1",
            f"controller.quorum.bootstrap.servers=127.0.0.1:{self.controller_port}",
            f"listeners=PLAINTEXT://127.0.0.1:{self.port},CONTROLLER://127.0.0.1:{self.controller_port}",
            f"advertised.listeners=PLAINTEXT://127.0.0.1:{self.port}",
            "controller.listener.names=CONTROLLER",
            "inter.broker.listener.name=PLAINTEXT",
            "listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
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
        props.write_text(self.server_properties())
        if (self.data_dir / "logs" / "meta.properties").exists():
            return
        cmd = self._java(libs) + [
            "kafka.tools.StorageTool", "format", "--standalone",
            # `=` form: a generated id may start with "-".
            f"--cluster-id={new_cluster_id()}", "--config", str(props),
        ]
        result = subprocess.run(cmd, capture_output=True, text=True)
        if result.returncode != 0:
            raise KafkaSetupError(f"formatting Kafka storage failed:\n{result.stdout}\n{result.stderr}")

    def start(self, timeout: float = 90.0) -> ManagedProcess:
        libs = kafka_libs()
        self.format_storage(libs)
        cmd = self._java(libs) + ["kafka.Kafka", str(self.data_dir / "server.properties")]
        proc = ManagedProcess.spawn("kafka", cmd, self.data_dir / "kafka.log")
        wait_for_port("127.0.0.1", self.port, timeout, proc)
        return proc
