"""The outside channels: email over SMTP and WeCom/DingTalk-robot-style webhooks.

Each `send` raises `SendFailed` when the other side did not take the message; the caller
retries with backoff. Both carry the delivery's idempotency key (Message-ID, and an
`Idempotency-Key` header) so a receiver can drop the rare duplicate a crash between sending
and recording would cause.

Targets come from users (the directory), so both senders apply the outbound rules
(`fourx_platform.outbound`) before connecting and raise `SendRefused` — final, never
retried — for a target the rules refuse. A webhook host is resolved here, every address is
checked, and the request goes to the checked address (the name only in the Host header and
TLS SNI/certificate check), so DNS cannot answer differently between check and connect
(rebinding). A refused target is never connected to: its outcome says nothing about whether
anything listens there. Redirects are not followed; response bodies are not read.
"""

from __future__ import annotations

import asyncio
import functools
import ipaddress
import socket
import ssl
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from email.message import EmailMessage
from typing import Any, Protocol

import aiosmtplib
import httpx
from fourx_platform.outbound import (
    IPAddress,
    OutboundPolicy,
    Refused,
    WebhookTarget,
    check_email,
    check_resolved,
    webhook_target,
)

from fourx_notify.adapters.render import markdown_text


class SendFailed(Exception):
    pass


class SendRefused(SendFailed):
    """The outbound rules refuse the target: a final failure, not worth another try."""


class Sender(Protocol):
    async def send(self, delivery: dict[str, Any]) -> None: ...


Resolver = Callable[[str, int], Awaitable[list[IPAddress]]]


class SystemResolver:
    """Every address the system resolver gives for a host (an IP literal gives itself).

    On threads of its own, at most `timeout` seconds a name: `getaddrinfo` blocks a thread
    for as long as DNS takes (measured here: 5 s for a name no server answers), and on the
    loop's default executor a burst of such webhooks took every thread — the Kafka and store
    clients, which resolve their own hosts there, then stalled behind them."""

    def __init__(self, threads: int = 8):
        self._threads = threads
        self._pool: ThreadPoolExecutor | None = None

    async def __call__(self, host: str, port: int, timeout: float = 10.0) -> list[IPAddress]:
        if self._pool is None:   # created on first use, not at import
            self._pool = ThreadPoolExecutor(self._threads, thread_name_prefix="fourx-dns")
        lookup = functools.partial(socket.getaddrinfo, host, port, type=socket.SOCK_STREAM)
        try:
            infos = await asyncio.wait_for(asyncio.get_running_loop().run_in_executor(self._pool, lookup), timeout)
        except TimeoutError:
            raise OSError(f"no DNS answer within {timeout:.0f}s") from None
        return list(dict.fromkeys(ipaddress.ip_address(info[4][0].split("%", 1)[0]) for info in infos))

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None


def _one_line(text: str) -> str:
    # A header value from user text (a title): no line breaks, so no injected headers.
    return " ".join(str(text).split())


class EmailSender:
    def __init__(self, settings: Any, policy: OutboundPolicy | None = None):
        # Read on every send: settings are the service's, and may be changed at run time (tests).
        self._settings = settings
        self.policy = policy or OutboundPolicy()

    async def send(self, delivery: dict[str, Any]) -> None:
        s = self._settings
        try:  # checked at import too; again here, for directories imported before the rule
            address = check_email(delivery["target"], self.policy)
        except Refused as exc:
            raise SendRefused(str(exc)) from None
        message = EmailMessage()
        message["From"] = s.smtp_sender
        message["To"] = address
        message["Subject"] = _one_line(delivery["subject"])
        message["Message-ID"] = f"<{delivery['_id']}@fourx>"
        message["X-Fourx-Ref"] = _one_line(delivery["ref"])
        message.set_content(delivery["body"])
        if delivery.get("html"):
            message.add_alternative(delivery["html"], subtype="html")
        try:
            # The envelope recipient is the checked address, never what the headers parse to.
            await aiosmtplib.send(message, recipients=[address], hostname=s.smtp_host, port=s.smtp_port,
                                  timeout=s.send_timeout_seconds, start_tls=False, use_tls=False)
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            raise SendFailed(f"SMTP {s.smtp_host}:{s.smtp_port}: {exc}") from exc


class WebhookSender:
    def __init__(self, settings: Any, policy: OutboundPolicy | None = None, resolver: Resolver | None = None,
                 verify: ssl.SSLContext | bool = True):
        self._settings = settings
        self.policy = policy or OutboundPolicy()
        self._system = SystemResolver()
        self._resolve: Resolver = resolver or (lambda host, port: self._system(
            host, port, timeout=float(self._settings.send_timeout_seconds)))
        self._verify = verify     # certifi's CAs; a context for a private CA
        self._client: httpx.AsyncClient | None = None

    async def _pinned(self, url: str) -> tuple[WebhookTarget, IPAddress]:
        """The target and the checked address to connect to; SendRefused, or SendFailed when
        the name does not resolve (DNS may be away for a moment)."""
        try:
            target = webhook_target(url, self.policy)
            httpx.URL(url)
        except Refused as exc:
            raise SendRefused(str(exc)) from None
        except httpx.InvalidURL:
            raise SendRefused("webhook 地址格式不正确") from None
        try:
            addresses = await self._resolve(target.host, target.port)
        except (OSError, UnicodeError) as exc:
            raise SendFailed(f"webhook 主机名 {target.host} 无法解析：{exc}") from exc
        try:
            return target, check_resolved(target, addresses, self.policy)
        except Refused as exc:
            raise SendRefused(str(exc)) from None

    async def send(self, delivery: dict[str, Any]) -> None:
        target, ip = await self._pinned(delivery["target"])
        if self._client is None:  # created on first use, inside the running loop
            # No pooled connections: one kept open for a name must not serve another name on
            # the same address; no proxies from the environment: the checked address is the peer.
            self._client = httpx.AsyncClient(timeout=self._settings.send_timeout_seconds, follow_redirects=False,
                                             trust_env=False, limits=httpx.Limits(max_keepalive_connections=0),
                                             verify=self._verify)
        body = {
            "msgtype": "markdown",
            # WeCom reads markdown.content, DingTalk markdown.title and markdown.text.
            "markdown": {"title": markdown_text(delivery["subject"]), "content": delivery["body"],
                         "text": delivery["body"]},
            "fourx": {"notification_id": delivery["_id"], "recipient_id": delivery["recipient_id"],
                      "ref": delivery["ref"], "kind": delivery["kind"], "district": delivery["district"]},
        }
        written = httpx.URL(delivery["target"])
        # The same URL with the checked address for its host; the name (IDNA, as on the wire)
        # goes in the Host header and, for TLS, in SNI and the certificate check.
        url = written.copy_with(host=str(ip))
        headers = {"Host": written.netloc.decode("ascii"), "Idempotency-Key": delivery["_id"]}
        extensions = {"sni_hostname": written.raw_host.decode("ascii")} if target.scheme == "https" else {}
        try:
            async with self._client.stream("POST", url, json=body, headers=headers, extensions=extensions) as response:
                status = response.status_code
        except httpx.HTTPError as exc:
            raise SendFailed(f"webhook {delivery['target']}: {exc!r}") from exc
        if 300 <= status < 400:
            raise SendRefused(f"webhook {delivery['target']} 返回重定向 {status}，不跟随")
        if status >= 300:
            raise SendFailed(f"webhook {delivery['target']} answered {status}")

    async def close(self) -> None:
        self._system.close()
        if self._client is not None:
            await self._client.aclose()
            self._client = None
