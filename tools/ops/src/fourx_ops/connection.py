"""Where the broker is and who the operator is to it, without importing the services.

In order: `--bootstrap` or `KAFKA_BOOTSTRAP` with the same `KAFKA_…` variables the services
read (`KAFKA_SECURITY_PROTOCOL`, `KAFKA_SASL_MECHANISM`, `KAFKA_USERNAME`, `KAFKA_PASSWORD`,
`KAFKA_SSL_CAFILE`); else the local stack `make up` started (`.fourx/stack.json` for the
address, `.fourx/kafka/credentials.json` for the principals' SCRAM passwords); else a plain
broker on 127.0.0.1:9092.

The operator reads as the `ops` principal (every topic, DLQ and group, read-only). Replay
writes topics that only their producing service may write, so it needs the admin principal
(README, "Kafka: SASL and ACLs"): the local stack's, or the admin's credentials in `KAFKA_…`.
"""

from __future__ import annotations

import json
import os
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

OPS = "ops"
ADMIN = "admin"
DEFAULT_BOOTSTRAP = "127.0.0.1:9092"


class NoConnection(RuntimeError):
    """The settings cannot name a usable connection (e.g. SASL without a password)."""


@dataclass(frozen=True)
class Connection:
    bootstrap: str = DEFAULT_BOOTSTRAP
    security_protocol: str = "PLAINTEXT"
    sasl_mechanism: str = "SCRAM-SHA-256"
    username: str | None = None
    password: str | None = None
    ssl_cafile: str | None = None
    # Where the settings came from, for messages: "env", "local stack", "default".
    origin: str = "default"
    # The local stack's passwords, so `as_principal` can switch (admin for replay).
    passwords: Mapping[str, str] | None = None

    def client_options(self) -> dict[str, Any]:
        """Keyword arguments for aiokafka's consumer, producer and admin client."""
        options: dict[str, Any] = {"bootstrap_servers": self.bootstrap, "security_protocol": self.security_protocol}
        if self.security_protocol.startswith("SASL"):
            if not self.username or self.password is None:
                raise NoConnection(f"KAFKA_SECURITY_PROTOCOL={self.security_protocol} needs KAFKA_USERNAME "
                                       "and KAFKA_PASSWORD")
            options |= {"sasl_mechanism": self.sasl_mechanism, "sasl_plain_username": self.username,
                        "sasl_plain_password": self.password}
            if self.security_protocol == "SASL_SSL":
                options["ssl_context"] = ssl.create_default_context(cafile=self.ssl_cafile)
        return options

    def as_principal(self, principal: str) -> "Connection":
        """The same broker as another of the local stack's principals; unchanged where the
        credentials came from the environment (the operator chose them)."""
        if not self.passwords or principal not in self.passwords:
            return self
        return replace(self, username=principal, password=self.passwords[principal])

    def describe(self) -> str:
        who = self.username or "anonymous"
        return f"{self.bootstrap} as {who} ({self.origin})"


def from_env(env: Mapping[str, str], bootstrap: str | None = None) -> Connection | None:
    """The `KAFKA_…` settings, if the environment (or `--bootstrap`) names a broker."""
    address = bootstrap or env.get("KAFKA_BOOTSTRAP")
    if not address:
        return None
    return Connection(
        bootstrap=address,
        security_protocol=env.get("KAFKA_SECURITY_PROTOCOL", "PLAINTEXT"),
        sasl_mechanism=env.get("KAFKA_SASL_MECHANISM", "SCRAM-SHA-256"),
        username=env.get("KAFKA_USERNAME"),
        password=env.get("KAFKA_PASSWORD"),
        ssl_cafile=env.get("KAFKA_SSL_CAFILE"),
        origin="env",
    )


def local_state_dir(env: Mapping[str, str], start: Path | None = None) -> Path | None:
    """`FOURX_STATE_DIR`, else the nearest `.fourx/` with a running stack's `stack.json`
    above the working directory (where `make up` keeps it)."""
    if env.get("FOURX_STATE_DIR"):
        return Path(env["FOURX_STATE_DIR"])
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / ".fourx" / "stack.json").exists():
            return folder / ".fourx"
    return None


def from_local_stack(state_dir: Path, principal: str = OPS) -> Connection | None:
    stack_file = state_dir / "stack.json"
    if not stack_file.exists():
        return None
    bootstrap = json.loads(stack_file.read_text())["kafka_bootstrap"]
    creds_file = state_dir / "kafka" / "credentials.json"
    if not creds_file.exists():  # a stack without SASL (the fault drills' cluster)
        return Connection(bootstrap=bootstrap, origin="local stack")
    creds = json.loads(creds_file.read_text())
    passwords = creds["passwords"]
    return Connection(bootstrap=bootstrap, security_protocol="SASL_PLAINTEXT",
                      sasl_mechanism=creds.get("mechanism", "SCRAM-SHA-256"), username=principal,
                      password=passwords.get(principal), origin="local stack", passwords=passwords)


def resolve(bootstrap: str | None = None, principal: str = OPS, env: Mapping[str, str] | None = None) -> Connection:
    """The connection a command uses (see the module docstring for the order)."""
    env = os.environ if env is None else env
    named = from_env(env, bootstrap)
    state_dir = local_state_dir(env)
    local = from_local_stack(state_dir, principal) if state_dir else None
    if named is not None:
        # `--bootstrap` naming the local stack's broker, without credentials: use the stack's.
        if local is not None and named.bootstrap == local.bootstrap and not named.username:
            return local
        return named
    return local or Connection()
