"""The outside parties of the channel case, both real servers on 127.0.0.1: an SMTP server
(aiosmtpd) that can be started late, and a webhook receiver whose answer depends on the path.

Both only count. SMTP: accepted messages by (recipient, Message-ID), refused RCPTs by
address (an address starting with `bounce` is refused: 550). Webhook: every POST and every
accepted (2xx) POST by (path kind, Idempotency-Key); `/ok/…` answers 200, `/flaky/…` 500 to
the first `flaky_failures` POSTs of a key and 200 after, `/broken/…` always 500.
"""

from __future__ import annotations

import email
import logging
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class SmtpSink:
    def __init__(self, port: int):
        self.port = port
        self.accepted: Counter[tuple[str, str]] = Counter()
        self.refused: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._controller: Any = None

    def start(self) -> None:
        from aiosmtpd.controller import Controller

        # aiosmtpd logs every connection at INFO ("mail.log"); the drill's log is for the drill.
        logging.getLogger("mail.log").setLevel(logging.WARNING)
        sink = self

        class Handler:
            async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802 (aiosmtpd hook)
                if address.startswith("bounce"):
                    with sink._lock:
                        sink.refused[address] += 1
                    return "550 5.1.1 no such mailbox"
                envelope.rcpt_tos.append(address)
                return "250 OK"

            async def handle_DATA(self, server, session, envelope):  # noqa: N802
                message_id = email.message_from_bytes(envelope.original_content or envelope.content)["Message-ID"]
                with sink._lock:
                    for rcpt in envelope.rcpt_tos:
                        sink.accepted[(rcpt, str(message_id))] += 1
                return "250 OK"

        self._controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def snapshot(self) -> tuple[dict, dict]:
        with self._lock:
            return dict(self.accepted), dict(self.refused)


class WebhookSink:
    def __init__(self, flaky_failures: int = 2):
        self.flaky_failures = flaky_failures
        self.posts: Counter[tuple[str, str]] = Counter()
        self.accepted: Counter[tuple[str, str]] = Counter()
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    @property
    def base_url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> None:
        sink = self

        class Hook(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                kind = self.path.strip("/").split("/")[0]
                key = (kind, self.headers.get("Idempotency-Key", ""))
                with sink._lock:
                    sink.posts[key] += 1
                    ok = kind == "ok" or (kind == "flaky" and sink.posts[key] > sink.flaky_failures)
                    if ok:
                        sink.accepted[key] += 1
                self.send_response(200 if ok else 500)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"errcode":0}' if ok else b'{"errcode":500}')

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
        threading.Thread(target=self._server.serve_forever, daemon=True, name="faults-webhook").start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def snapshot(self) -> tuple[dict, dict]:
        with self._lock:
            return dict(self.posts), dict(self.accepted)
