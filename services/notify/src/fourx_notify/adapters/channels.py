"""The outside channels: email over SMTP and WeCom/DingTalk-robot-style webhooks.

Each `send` raises `SendFailed` when the other side did not take the message; the caller
retries with backoff. Both carry the delivery's idempotency key (Message-ID, and an
`Idempotency-Key` header) so a receiver can drop the rare duplicate a crash between sending
and recording would cause.
"""

from __future__ import annotations

from email.message import EmailMessage
from typing import Any, Protocol

import aiosmtplib
import httpx


class SendFailed(Exception):
    pass


class Sender(Protocol):
    async def send(self, delivery: dict[str, Any]) -> None: ...


class EmailSender:
    def __init__(self, settings: Any):
        # Read on every send: settings are the service's, and may be changed at run time (tests).
        self._settings = settings

    async def send(self, delivery: dict[str, Any]) -> None:
        s = self._settings
        message = EmailMessage()
        message["From"] = s.smtp_sender
        message["To"] = delivery["target"]
        message["Subject"] = delivery["subject"]
        message["Message-ID"] = f"<{delivery['_id']}@fourx>"
        message["X-Fourx-Ref"] = delivery["ref"]
        message.set_content(delivery["body"])
        if delivery.get("html"):
            message.add_alternative(delivery["html"], subtype="html")
        try:
            await aiosmtplib.send(message, hostname=s.smtp_host, port=s.smtp_port, timeout=s.send_timeout_seconds,
                                  start_tls=False, use_tls=False)
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            raise SendFailed(f"SMTP {s.smtp_host}:{s.smtp_port}: {exc}") from exc


class WebhookSender:
    def __init__(self, settings: Any):
        self._settings = settings
        self._client: httpx.AsyncClient | None = None

    async def send(self, delivery: dict[str, Any]) -> None:
        if self._client is None:  # created on first use, inside the running loop
            self._client = httpx.AsyncClient(timeout=self._settings.send_timeout_seconds)
        body = {
            "msgtype": "markdown",
            # WeCom reads markdown.content, DingTalk markdown.title and markdown.text.
            "markdown": {"title": delivery["subject"], "content": delivery["body"], "text": delivery["body"]},
            "fourx": {"notification_id": delivery["_id"], "recipient_id": delivery["recipient_id"],
                      "ref": delivery["ref"], "kind": delivery["kind"], "district": delivery["district"]},
        }
        try:
            response = await self._client.post(delivery["target"], json=body,
                                               headers={"Idempotency-Key": delivery["_id"]})
        except httpx.HTTPError as exc:
            raise SendFailed(f"webhook {delivery['target']}: {exc!r}") from exc
        if response.status_code >= 300:
            raise SendFailed(f"webhook {delivery['target']} answered {response.status_code}")

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None
