"""Real outside parties for the notify tests: an SMTP server (aiosmtpd) that refuses each
recipient's first two attempts, and an HTTP webhook receiver (one path answers 200, the
other 500 forever). Both run in threads of their own; the session's notify service is
pointed at them, given short backoffs, and allowlists the receiver's host:port only."""

from __future__ import annotations

import json
import threading
from collections import defaultdict
from collections.abc import AsyncIterator, Iterator
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
import pytest_asyncio
from aiosmtpd.controller import Controller
from fourx_platform.outbound import Allowlist, OutboundPolicy
from fourx_local.process import free_port
from fourx_notify.bootstrap import NotifyService, create_app

REFUSALS = 2


class RefusingMailbox:
    """Refuses the first REFUSALS attempts to each recipient with a 451, then accepts."""

    def __init__(self) -> None:
        self.tries: dict[str, int] = defaultdict(int)
        self.messages: list[tuple[str, dict]] = []   # (recipient, headers)
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 (aiosmtpd's hook name)
        with self.lock:
            rcpt = envelope.rcpt_tos[0]
            self.tries[rcpt] += 1
            if self.tries[rcpt] <= REFUSALS:
                return "451 4.3.0 try again later"
            msg = message_from_bytes(envelope.original_content or envelope.content, policy=policy.default)
            self.messages.append((rcpt, {"subject": str(msg["Subject"]), "ref": msg["X-Fourx-Ref"],
                                         "message_id": msg["Message-ID"]}))
        return "250 OK"

    def received(self, rcpt: str, ref: str) -> list[dict]:
        with self.lock:
            return [h for r, h in self.messages if r == rcpt and h["ref"] == ref]


class Hooks:
    def __init__(self) -> None:
        self.posts: list[tuple[str, dict]] = []
        self.hosts: dict[str, list[str]] = defaultdict(list)   # path → Host headers it was sent with
        self.lock = threading.Lock()

    def received(self, path: str, ref: str | None = None) -> list[dict]:
        with self.lock:
            return [b for p, b in self.posts if p == path and (ref is None or b["fourx"]["ref"] == ref)]


@pytest.fixture(scope="session")
def mailbox() -> Iterator[tuple[RefusingMailbox, int]]:
    box, port = RefusingMailbox(), free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    yield box, port
    controller.stop()


@pytest.fixture(scope="session")
def hooks() -> Iterator[tuple[Hooks, str]]:
    store = Hooks()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            with store.lock:
                store.posts.append((self.path.split("/")[1], body))
                store.hosts[self.path.split("/")[1]].append(self.headers["Host"])
            status = 500 if self.path.startswith("/broken") else 200
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b'{"errcode":0}' if status == 200 else b'{"errcode":500}')

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield store, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture(scope="session")
def wired_notify(notify: NotifyService, mailbox, hooks) -> NotifyService:
    """The session's notify service, sending to the local servers with short backoffs."""
    s = notify.settings
    s.smtp_host, s.smtp_port = "127.0.0.1", mailbox[1]
    s.retry_seconds, s.retry_max_seconds, s.max_attempts = 0.1, 0.4, 4
    s.delivery_every_seconds = 0.1
    # Dev mode (plain http) and the local receiver allowlisted by host:port — nothing else on
    # this machine: the outbound rules are on as in production.
    policy = OutboundPolicy(dev_mode=True, allowlist=Allowlist.parse(hooks[1].removeprefix("http://")))
    notify.webhooks.policy = notify.emails.policy = policy
    return notify


@pytest_asyncio.fixture(scope="session")
async def notify_http(wired_notify: NotifyService) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app(wired_notify))
    async with httpx.AsyncClient(transport=transport, base_url="http://notify") as client:
        yield client
