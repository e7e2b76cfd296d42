"""Demo step of the notify service: the week's bulletin (周工作记实通报), where its HTML and
.docx are, and how many recipients got it on which channel.

The demo brings its own outside parties, both real servers: an SMTP server (aiosmtpd) on
NOTIFY_SMTP_HOST:NOTIFY_SMTP_PORT (127.0.0.1:8025, the notify service's default) and a
webhook receiver on 127.0.0.1:8026. Call `start_receivers(ctx)` before the first step to
have notices of the earlier steps delivered too: it sets ctx.facts["webhook_url"], which the
meetings step writes into people's webhook channels. `run` starts them if nobody did.
"""

from __future__ import annotations

import asyncio
import json
import os
import threading
import time
import uuid
from collections import Counter
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from fourx_contracts.envelope import new_event
from rich.table import Table

from fourx_local.demo.context import DemoContext
from fourx_local.paths import state_dir

WEBHOOK_PORT = 8026
OFFICE = ("demo-party-office", "party_office")


class _Receivers:
    """The local SMTP server and webhook receiver, counting what reached them."""

    def __init__(self) -> None:
        self.mail: Counter[str] = Counter()
        self.hooks: Counter[str] = Counter()
        self.smtp = None
        self.http: ThreadingHTTPServer | None = None
        self.smtp_address = ""
        self.webhook_url = ""

    def start(self) -> list[str]:
        from aiosmtpd.controller import Controller

        notes = []
        receivers = self

        class Mailbox:
            async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 (aiosmtpd hook)
                for rcpt in envelope.rcpt_tos:
                    receivers.mail[rcpt] += 1
                return "250 OK"

        host = os.environ.get("NOTIFY_SMTP_HOST", "127.0.0.1")
        port = int(os.environ.get("NOTIFY_SMTP_PORT", "8025"))
        try:
            self.smtp = Controller(Mailbox(), hostname=host, port=port)
            self.smtp.start()
            self.smtp_address = f"{host}:{port}"
        except Exception as exc:  # port taken (another demo?): the service sends there anyway
            self.smtp = None
            notes.append(f"SMTP 端口 {host}:{port} 已被占用，未能启动本地邮件服务器：{exc}")

        class Hook(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                receivers.hooks[(body.get("fourx") or {}).get("recipient_id", "?")] += 1
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"errcode":0,"errmsg":"ok"}')

            def log_message(self, *args: Any) -> None:
                pass

        for candidate in (WEBHOOK_PORT, 0):
            try:
                self.http = ThreadingHTTPServer(("127.0.0.1", candidate), Hook)
                break
            except OSError:
                continue
        assert self.http is not None
        threading.Thread(target=self.http.serve_forever, daemon=True, name="demo-webhook").start()
        self.webhook_url = f"http://127.0.0.1:{self.http.server_address[1]}/robot/send"
        return notes

    def stop(self) -> None:
        if self.smtp is not None:
            self.smtp.stop()
        if self.http is not None:
            self.http.shutdown()


def start_receivers(ctx: DemoContext) -> _Receivers:
    """Start the local SMTP server and webhook receiver once per demo; sets ctx.facts["webhook_url"]."""
    receivers = ctx.facts.get("notify_receivers")
    if receivers is None:
        receivers = _Receivers()
        for note in receivers.start():
            ctx.console.print(f"  [yellow]![/] {note}")
        ctx.facts["notify_receivers"] = receivers
        ctx.facts["webhook_url"] = receivers.webhook_url
        ctx.done(f"本地邮件服务器 {receivers.smtp_address or '（未启动）'}，Webhook 接收端 {receivers.webhook_url}")
    return receivers


async def request_bulletin(ctx: DemoContext, week: str, timeout: float = 90.0) -> dict[str, Any]:
    """Publish `report-requested` on Kafka and wait for its `report-published`."""
    # Read the topic from its start and pick our answer by correlation id: no race with
    # partition assignment, and the topic is small in a demo.
    consumer = AIOKafkaConsumer("report-published", bootstrap_servers=ctx.kafka_bootstrap, group_id=None,
                                enable_auto_commit=False, auto_offset_reset="earliest")
    await consumer.start()
    try:
        request = new_event(type="report-requested", source="/demo", district=ctx.district, data={"week": week},
                            correlationid=str(uuid.uuid4()))
        producer = AIOKafkaProducer(bootstrap_servers=ctx.kafka_bootstrap, acks="all", enable_idempotence=True)
        await producer.start()
        try:
            await producer.send_and_wait("report-requested", request.to_json_bytes(), key=ctx.district.encode(),
                                         headers=[("content-type", b"application/cloudevents+json")])
        finally:
            await producer.stop()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for records in (await consumer.getmany(timeout_ms=500)).values():
                for record in records:
                    event = json.loads(record.value)
                    if event.get("district") == ctx.district and event.get("correlationid") == request.correlationid:
                        return event
        raise RuntimeError(f"{timeout:.0f} 秒内未收到 {ctx.district} {week} 的 report-published（notify 服务是否在运行？）")
    finally:
        await consumer.stop()


async def _wait_deliveries(client, district: str, week: str, timeout: float = 60.0) -> dict[str, dict[str, int]]:
    deadline = time.monotonic() + timeout
    channels: dict[str, dict[str, int]] = {}
    while time.monotonic() < deadline:
        response = await client.get(f"/districts/{district}/bulletins/{week}/deliveries")
        response.raise_for_status()
        channels = response.json()["channels"]
        if channels and not any(c.get("pending") for c in channels.values()):
            break
        await asyncio.sleep(0.5)
    return channels


async def run(ctx: DemoContext) -> None:
    receivers = start_receivers(ctx)
    day = ctx.facts.get("activity_day_date")
    day = date.fromisoformat(str(day)[:10]) if day else date.today()
    year, number, _ = day.isocalendar()
    week = f"{year}-W{number:02d}"
    ctx.step(f"请求 {week} 周工作记实通报（report-requested → report-published）")
    published = await request_bulletin(ctx, week)
    data = published["data"]
    ctx.done(f"通报 {data['report_id']} 已发布：收件人 {data['recipients']} 人，格式 {', '.join(data['formats'])}")

    async with ctx.client("notify", *OFFICE) as office:
        md = await office.get(f"/districts/{ctx.district}/bulletins/{week}/markdown")
        md.raise_for_status()
        base = f"{ctx.urls['notify']}/districts/{ctx.district}/bulletins/{week}"
        docx = await office.get(f"/districts/{ctx.district}/bulletins/{week}/docx")
        docx.raise_for_status()
        out = state_dir() / "demo"
        out.mkdir(parents=True, exist_ok=True)
        docx_file = out / f"{ctx.district}-{week}.docx"
        docx_file.write_bytes(docx.content)
        html = await office.get(f"/districts/{ctx.district}/bulletins/{week}/html")
        html.raise_for_status()
        html_file = out / f"{ctx.district}-{week}.html"
        html_file.write_text(html.text, encoding="utf-8")
        ctx.step("通报的网页与下载（需携带本区令牌，角色：党建办/街道/部门负责人）")
        ctx.done(f"网页 HTML：{base}/html  （本地副本 {html_file}）")
        ctx.done(f"Word 文档：{base}/docx  （已保存 {docx_file}，{len(docx.content)} 字节）")
        ctx.done(f"Markdown：{base}/markdown")

        ctx.step("分发情况（每位收件人、每个渠道各一次；失败按指数退避重试）")
        channels = await _wait_deliveries(office, ctx.district, week)
        names = {"email": "电子邮件", "webhook": "Webhook 机器人", "inbox": "站内收件箱"}
        table = Table("渠道", "送达", "失败", "待发")
        for channel, counts in channels.items():
            table.add_row(names.get(channel, channel), str(counts.get("delivered", 0)), str(counts.get("failed", 0)),
                          str(counts.get("pending", 0)))
        ctx.console.print(table)
        ctx.done(f"本地邮件服务器共收到 {sum(receivers.mail.values())} 封邮件（{len(receivers.mail)} 个地址），"
                 f"Webhook 接收端共收到 {sum(receivers.hooks.values())} 次推送")

        bulletin = (await office.get(f"/districts/{ctx.district}/bulletins/{week}")).json()
        if bulletin.get("recipients"):
            first = bulletin["recipients"][0]
            async with ctx.client("notify", first, "street_secretary") as reader:
                inbox = (await reader.get(f"/districts/{ctx.district}/inbox", params={"unacknowledged": True})).json()
                item = next((i for i in inbox["items"] if i["ref"] == data["report_id"]), None)
                if item:
                    await reader.post(f"/districts/{ctx.district}/inbox/{item['item_id']}/acknowledge")
                    ctx.done(f"{first} 在收件箱签收了通报")
        acks = (await office.get(f"/districts/{ctx.district}/bulletins/{week}/acknowledgements")).json()
        pending = "、".join(a["name"] or a["person_id"] for a in acks["not_acknowledged"]) or "无"
        ctx.done(f"签收情况：{len(acks['acknowledged'])}/{acks['recipients']} 已签收；未签收：{pending}")
    receivers.stop()
    ctx.facts.pop("notify_receivers", None)
    # Last, the bulletin itself, as the Markdown the offices receive (plain, to copy or pipe).
    ctx.console.rule(f"周工作记实通报（Markdown）· {ctx.district} · {week}")
    print(md.text, flush=True)
