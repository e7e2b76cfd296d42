"""What the demo's steps share: the district, where the services are, tokens, output."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx
from fourx_contracts.auth import issue_token
from fourx_contracts.kafka import KafkaSettings
from rich.console import Console


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

    def kafka_options(self) -> dict[str, Any]:
        """aiokafka options for the demo's own producer and consumers."""
        return self.kafka.client_options() if self.kafka else {"bootstrap_servers": self.kafka_bootstrap}

    def token(self, person_id: str, *roles: str) -> str:
        return issue_token(person_id, self.district, roles)

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
