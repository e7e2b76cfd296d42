"""Where tests and the local stack get Kafka and the store from.

In order: what the environment names (`KAFKA_BOOTSTRAP`, `MONGO_URI`), else containers when
a Docker engine answers (testcontainers, `apache/kafka` and `mongo` images), else local
processes this package starts (Kafka from Maven jars, SecantusDB) — each chosen separately.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import os
from collections.abc import Callable, Coroutine, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from fourx_platform.kafka_acl import ensure_acls
from fourx_platform.kafka import KafkaSettings, ensure_topics

from fourx_local.kafka import KafkaBroker
from fourx_local.process import ManagedProcess, free_port
from fourx_local.store import SecantusServer

Origin = Literal["env", "testcontainers", "local"]
KAFKA_IMAGE = "apache/kafka:4.1.1"
MONGO_IMAGE = "mongo:8.0"


@dataclass(frozen=True)
class Choice:
    kafka: Origin
    store: Origin


def choose(env: Mapping[str, str], docker_answers: Callable[[], bool]) -> Choice:
    """Pure selection: `docker_answers` is only asked when the environment names nothing."""
    need_docker = not env.get("KAFKA_BOOTSTRAP") or not env.get("MONGO_URI")
    docker = need_docker and env.get("FOURX_NO_DOCKER") != "1" and docker_answers()
    fallback: Origin = "testcontainers" if docker else "local"
    return Choice(
        kafka="env" if env.get("KAFKA_BOOTSTRAP") else fallback,
        store="env" if env.get("MONGO_URI") else fallback,
    )


def docker_engine_answers() -> bool:
    try:
        import docker  # installed with testcontainers

        client = docker.from_env(timeout=3)
        try:
            return bool(client.ping())
        finally:
            client.close()
    except Exception:  # no socket, no permission, no daemon: all mean "no Docker here"
        return False


@dataclass
class Infrastructure:
    kafka_bootstrap: str
    mongo_uri: str
    choice: Choice
    processes: list[ManagedProcess] = field(default_factory=list)
    # The admin's settings (topics, ACLs, test helpers), and each principal's where they are
    # known: the local broker has one per service; from the environment there is one for all.
    kafka: KafkaSettings | None = None
    principals: dict[str, KafkaSettings] = field(default_factory=dict)

    def kafka_as(self, principal: str) -> KafkaSettings:
        """How `principal` (a service, ops, admin) reaches Kafka; the admin's settings where
        this broker has no per-principal credentials (KAFKA_BOOTSTRAP, testcontainers)."""
        base = self.kafka or KafkaSettings(bootstrap=self.kafka_bootstrap)
        return self.principals.get(principal, base)

    @property
    def enforces_acls(self) -> bool:
        return bool(self.principals)


@contextlib.contextmanager
def provide(workdir: Path, env: Mapping[str, str] | None = None, partitions: int = 6) -> Iterator[Infrastructure]:
    """Start (or find) Kafka and the store, and stop what was started on exit. A broker started
    here runs with SASL/SCRAM and ACLs, its topics (`partitions` each) and ACLs created."""
    env = os.environ if env is None else env
    choice = choose(env, docker_engine_answers)
    with contextlib.ExitStack() as stack:
        processes: list[ManagedProcess] = []
        principals: dict[str, KafkaSettings] = {}
        if choice.kafka == "env":
            # Credentials, if the broker wants them, from KAFKA_SECURITY_PROTOCOL, KAFKA_USERNAME, …
            bootstrap = env["KAFKA_BOOTSTRAP"]
            kafka = KafkaSettings(**{**{k[len("KAFKA_"):].lower(): v for k, v in env.items() if k.startswith("KAFKA_")
                                        and k[len("KAFKA_"):].lower() in KafkaSettings.model_fields},
                                     "partitions": partitions})
        elif choice.kafka == "testcontainers":
            bootstrap = stack.enter_context(_kafka_container())
            kafka = KafkaSettings(bootstrap=bootstrap, partitions=partitions)
        else:
            broker = KafkaBroker(workdir / "kafka", free_port(), free_port()).secure()
            proc = broker.start()
            stack.callback(proc.stop)
            processes.append(proc)
            bootstrap = broker.bootstrap
            kafka = broker.settings(partitions=partitions)
            principals = {name: broker.settings(name, partitions=partitions) for name in broker.credentials.passwords}
            # The topics and ACLs exist before any service starts: no service may create them.
            run_coroutine(_prepare(kafka))
        if choice.store == "env":
            uri = env["MONGO_URI"]
        elif choice.store == "testcontainers":
            uri = stack.enter_context(_mongo_container())
        else:
            server = SecantusServer(workdir / "store", free_port())
            proc = server.start()
            stack.callback(proc.stop)
            processes.append(proc)
            uri = server.uri
        yield Infrastructure(bootstrap, uri, choice, processes, kafka, principals)


def run_coroutine(coro: Coroutine[Any, Any, Any]) -> Any:
    """Run to completion from sync code, whether or not an event loop runs in this thread."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


async def _prepare(admin: KafkaSettings) -> None:
    await ensure_topics(admin)
    await ensure_acls(admin)


@contextlib.contextmanager
def _kafka_container() -> Iterator[str]:
    from testcontainers.core.container import DockerContainer
    from testcontainers.core.waiting_utils import wait_for_logs

    port = free_port()
    container = (
        DockerContainer(KAFKA_IMAGE)
        .with_bind_ports(9092, port)
        .with_env("KAFKA_NODE_ID", "1")
        .with_env("KAFKA_PROCESS_ROLES", "broker,controller")
        .with_env("KAFKA_LISTENERS", "PLAINTEXT://:9092,CONTROLLER://:9093")
        .with_env("KAFKA_ADVERTISED_LISTENERS", f"PLAINTEXT://127.0.0.1:{port}")
        .with_env("KAFKA_CONTROLLER_LISTENER_NAMES", "CONTROLLER")
        .with_env("KAFKA_LISTENER_SECURITY_PROTOCOL_MAP", "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT")
        .with_env("KAFKA_CONTROLLER_QUORUM_VOTERS", "1@localhost:9093")
        .with_env("KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR", "1")
        .with_env("KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR", "1")
        .with_env("KAFKA_TRANSACTION_STATE_LOG_MIN_ISR", "1")
        .with_env("KAFKA_SHARE_COORDINATOR_STATE_TOPIC_REPLICATION_FACTOR", "1")
        .with_env("KAFKA_SHARE_COORDINATOR_STATE_TOPIC_MIN_ISR", "1")
        .with_env("KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS", "0")
        .with_env("KAFKA_AUTO_CREATE_TOPICS_ENABLE", "false")
    )
    with container:
        wait_for_logs(container, "Kafka Server started", timeout=120)
        yield f"127.0.0.1:{port}"


@contextlib.contextmanager
def _mongo_container() -> Iterator[str]:
    from testcontainers.mongodb import MongoDbContainer

    with MongoDbContainer(MONGO_IMAGE) as mongo:
        yield mongo.get_connection_url()
