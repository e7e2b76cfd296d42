"""What the demo's steps share: the district, where the services are, tokens, output."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import httpx
from fourx_platform.kafka import KafkaSettings
from rich.console import Console

from fourx_local.tokens import issue_token


@dataclass
class DemoContext:
    district: str
    urls: dict[str, str]          # service name → base URL, e.g. {"meetings": "http://127.0.0.1:8101"}
    kafka_bootstrap: str
    console: Console = field(default_factory=Console)
    # How the demo authenticates to Kafka (the `ops` principal on the local stack); None: no auth.
    kafka: KafkaSettings | None = None
    # Facts one step leaves for the next (directory, meeting ids, the activity day's date, ...).
    facts: dict[str, Any] = field(default_factory=dict)
    # Who signs the demo's tokens: the local stack's key; tests pass their session's signer.
    sign: Callable[[str, str, Iterable[str]], str] = issue_token

    def kafka_options(self) -> dict[str, Any]:
        """aiokafka options for the demo's own producer and consumers."""
        return self.kafka.client_options() if self.kafka else {"bootstrap_servers": self.kafka_bootstrap}

    def token(self, person_id: str, *roles: str) -> str:
        """The services check the person against the directory, not only the signature."""
        return self.sign(person_id, self.district, roles)

    def client(self, service: str, person_id: str, *roles: str) -> httpx.AsyncClient:
        """An HTTP client for one service, acting as one person of the district."""
        return httpx.AsyncClient(
            base_url=self.urls[service], timeout=30.0,
            headers={"Authorization": f"Bearer {self.token(person_id, *roles)}"},
        )

    def step(self, text: str) -> None:
        self.console.print(f"[bold cyan]▶[/] {text}")

    def done(self, text: str) -> None:
        self.console.print(f"  [green]✓[/] {text}")


def office_of(ctx: DemoContext) -> str:
    """A Party-building office person of the imported directory (the services admit only
    people of the directory)."""
    for person in (ctx.facts.get("directory") or {}).get("people", []):
        if "party_office" in person.get("roles", []):
            return person["person_id"]
    raise RuntimeError("the demo's directory has no party_office person; the meetings step imports it first")
