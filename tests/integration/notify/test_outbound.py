"""Issue 9, outbound, at send time over real Kafka, the store, a real SMTP server and a real
webhook receiver: one delivery per target; targets the rules refuse fail at once, are never
connected to and fail alike whether anything listens there; the webhook request goes to the
address that was checked; user text reaches Markdown, webhooks and the page escaped."""

from __future__ import annotations

import ipaddress
from datetime import UTC, datetime

import pytest
from fourx_platform.auth import issue_token
from fourx_platform.outbound import Allowlist, OutboundPolicy
from fourx_local.process import free_port
from fourx_notify.adapters.channels import SendFailed, SendRefused, WebhookSender

from tests.integration.notify.test_distribution import IN_WEEK, ISSUE, WEEK, publish, sent, stored
from tests.integration.test_walking_skeleton import request_report
from tests.support.kafka import EventTap

pytestmark = pytest.mark.integration


def person(pid: str, channels: list[dict], roles=("dept_section_chief",), unit=("department", "mz")) -> dict:
    return {"person_id": pid, "name": pid, "roles": list(roles), "unit": {"kind": unit[0], "id": unit[1]},
            "channels": channels}


def directory(*people: dict) -> dict:
    return {"version": 1, "district_name": "测试区", "streets": [{"street_id": "s1", "name": "华林街道"}],
            "communities": [{"community_id": "c1", "street_id": "s1", "name": "三坊社区"}],
            "departments": [{"department_id": "mz", "name": "民政局"}], "people": list(people)}


async def test_two_webhooks_and_two_addresses_get_a_delivery_each_and_only_once(
        kafka_settings, wired_notify, issues, mailbox, hooks, district):
    box, _ = mailbox
    store, base = hooks
    await publish(kafka_settings, district, "directory-updated", directory(person("sec", [
        {"kind": "email", "address": f"sec@{district}.cn"}, {"kind": "email", "address": f"sec2@{district}.cn"},
        {"kind": "webhook", "url": f"{base}/a-{district}"}, {"kind": "webhook", "url": f"{base}/b-{district}"},
        {"kind": "webhook", "url": f"{base}/a-{district}"},          # the same target twice: once
    ])))
    await stored(wired_notify, issues, district, 1)
    ref = f"{district}:{WEEK}"
    async with EventTap(kafka_settings, ["notification-sent"]) as tap:
        await request_report(kafka_settings, district, WEEK)
        final = await tap.wait_for(lambda t: len(sent(t, district, ref)) == 5 and sent(t, district, ref), timeout=40)
        await request_report(kafka_settings, district, WEEK)          # asked again: nothing new
        await tap.settle(2.0)
        assert len(sent(tap, district, ref)) == 5
    assert sorted((d["channel"], d["status"]) for d in final) == [
        ("email", "delivered"), ("email", "delivered"), ("inbox", "delivered"),
        ("webhook", "delivered"), ("webhook", "delivered")]
    assert len({d["notification_id"] for d in final}) == 5
    assert len(store.received(f"a-{district}", ref)) == len(store.received(f"b-{district}", ref)) == 1
    assert len(box.received(f"sec@{district}.cn", ref)) == len(box.received(f"sec2@{district}.cn", ref)) == 1


async def test_refused_targets_fail_at_once_without_a_connection_and_alike_whatever_listens(
        kafka_settings, wired_notify, issues, mailbox, hooks, district):
    store, base = hooks
    listening, closed = mailbox[1], free_port()   # the SMTP server listens; nothing on `closed`
    targets = {
        "open-port": f"http://127.0.0.1:{listening}/{district}",
        "closed-port": f"http://127.0.0.1:{closed}/{district}",
        "private": f"http://10.255.255.1/{district}",
        "metadata": "http://169.254.169.254/latest/meta-data/",
        "metadata6": "http://[fd00:ec2::254]/",
        "alibaba": "http://100.100.100.200/latest/meta-data/",
        "name": f"http://localhost:{base.rsplit(':', 1)[1]}/refused-{district}",   # the receiver, by name
    }
    people = [person(pid, [{"kind": "webhook", "url": url}]) for pid, url in targets.items()]
    # One "@" (the contract's pattern lets it through), yet a header would read two mailboxes.
    people.append(person("comma", [{"kind": "email", "address": f"a,b@{district}.cn"}]))
    # Published straight to Kafka: a directory from before the import rule, or from a hostile producer.
    await publish(kafka_settings, district, "directory-updated", directory(*people))
    await stored(wired_notify, issues, district, 1)
    ref = f"{district}:{WEEK}"
    async with EventTap(kafka_settings, ["notification-sent"]) as tap:
        await request_report(kafka_settings, district, WEEK)
        final = await tap.wait_for(lambda t: len(sent(t, district, ref)) == 2 * len(people) and sent(t, district, ref),
                                   timeout=40)
    outcomes = {d["recipient_id"]: (d["status"], d["attempts"]) for d in final if d["channel"] != "inbox"}
    assert outcomes == {pid: ("failed", 1) for pid in [*targets, "comma"]}
    docs = {d["recipient_id"]: d for d in await wired_notify.deliveries().for_ref(district, ref) if d["channel"] != "inbox"}
    # The same words for an open and a closed port: the outcome is no port scanner.
    assert docs["open-port"]["last_error"] == docs["closed-port"]["last_error"]
    assert "回环地址" in docs["open-port"]["last_error"] and str(listening) not in docs["open-port"]["last_error"]
    assert "内网地址" in docs["private"]["last_error"]
    assert all("元数据" in docs[p]["last_error"] for p in ("metadata", "metadata6", "alibaba"))
    assert "单个地址" in docs["comma"]["last_error"]
    assert store.received(f"refused-{district}") == []
    assert all(a not in dict(mailbox[0].tries) for a in (f"a,b@{district}.cn", f"b@{district}.cn", "a"))


async def test_the_webhook_goes_to_the_checked_address_with_the_name_as_host(hooks):
    """Pinning: the resolver is asked once and the connection goes to its (checked) answer,
    never to a second lookup; the name travels in the Host header (and SNI for https)."""
    store, base = hooks
    port = int(base.rsplit(":", 1)[1])
    asked: list[str] = []

    async def resolver(host: str, _port: int):
        asked.append(host)
        return [ipaddress.ip_address("127.0.0.1")]

    delivery = {"_id": "d1", "recipient_id": "p", "ref": "pin", "kind": "bulletin", "district": "d",
                "subject": "<b>标题</b>", "body": "正文", "target": f"http://hooks.fourx.invalid:{port}/pinned"}
    policy = OutboundPolicy(dev_mode=True, allowlist=Allowlist.parse(f"127.0.0.1:{port}"))
    sender = WebhookSender(type("S", (), {"send_timeout_seconds": 5.0})(), policy, resolver)
    try:
        await sender.send(delivery)
        assert asked == ["hooks.fourx.invalid"]
        assert store.hosts["pinned"] == [f"hooks.fourx.invalid:{port}"]
        assert store.received("pinned", "pin")[0]["markdown"]["title"] == "&lt;b&gt;标题&lt;/b&gt;"

        # A name that answers with a public and a loopback address (DNS rebinding) is refused.
        async def rebinding(host: str, _port: int):
            return [ipaddress.ip_address("93.184.216.34"), ipaddress.ip_address("127.0.0.1")]
        sender._resolve = rebinding
        sender.policy = OutboundPolicy(dev_mode=True)
        with pytest.raises(SendRefused, match="回环地址"):
            await sender.send({**delivery, "target": "http://hooks.fourx.invalid/rebound"})
        # Outside dev mode only https goes out.
        sender.policy = OutboundPolicy(dev_mode=False, allowlist=policy.allowlist)
        with pytest.raises(SendRefused, match="https"):
            await sender.send(delivery)
        assert store.hosts["rebound"] == [] and len(store.hosts["pinned"]) == 1
    finally:
        await sender.close()


async def test_user_text_is_escaped_in_markdown_webhooks_and_the_page_which_has_a_csp(
        kafka_settings, wired_notify, issues, notify_http, hooks, district):
    store, base = hooks
    evil = '<script>alert(1)</script>[点我](javascript:alert(1))'
    await publish(kafka_settings, district, "directory-updated", directory(person("sec", [
        {"kind": "webhook", "url": f"{base}/ok-{district}"}], roles=("street_secretary",), unit=("street", "s1"))))
    await publish(kafka_settings, district, "issue-raised", {**ISSUE, "title": evil}, IN_WEEK)
    await stored(wired_notify, issues, district, 2)
    ref = f"{district}:{WEEK}"
    async with EventTap(kafka_settings, ["notification-sent"]) as tap:
        await request_report(kafka_settings, district, WEEK)
        await tap.wait_for(lambda t: len(sent(t, district, ref)) == 2, timeout=40)
        notice = await publish(kafka_settings, district, "notice-issued", {
            "notice_id": "n1", "issue_id": "i1", "to": {"kind": "street", "id": "s1"}, "to_person": "sec",
            "reason": "<img src=x onerror=alert(1)>", "issued_on": datetime.now(UTC).date().isoformat(),
            "respond_by": "2026-12-31"})
        await tap.wait_for(lambda t: len(sent(t, district, notice["id"])) == 2, timeout=30)
    escaped = "&lt;script&gt;alert(1)&lt;/script&gt;\\[点我\\](javascript:alert(1))"
    [bulletin_hook] = store.received(f"ok-{district}", ref)
    assert escaped in bulletin_hook["markdown"]["content"] and "<script>" not in bulletin_hook["markdown"]["content"]
    [notice_hook] = store.received(f"ok-{district}", notice["id"])
    assert "&lt;img src=x onerror=alert(1)&gt;" in notice_hook["markdown"]["content"]
    assert "<" not in notice_hook["markdown"]["content"] + notice_hook["markdown"]["title"]

    # A reader of the bulletin must be a person of the directory: the street secretary is one.
    office = {"Authorization": f"Bearer {issue_token('sec', district, ['street_secretary'])}"}
    md = await notify_http.get(f"/districts/{district}/bulletins/{WEEK}/markdown", headers=office)
    assert md.status_code == 200 and escaped in md.text and "<script>" not in md.text
    assert md.headers["content-type"] == "text/markdown; charset=utf-8"
    assert md.headers["content-disposition"].startswith("attachment;")
    assert md.headers["x-content-type-options"] == "nosniff"
    page = await notify_http.get(f"/districts/{district}/bulletins/{WEEK}/html", headers=office)
    assert page.status_code == 200 and "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    assert "<script" not in page.text
    csp = page.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "script-src" not in csp and "frame-ancestors 'none'" in csp
    assert page.headers["x-content-type-options"] == "nosniff"


@pytest.fixture
def tls_receiver(tmp_path):
    """An https receiver on 127.0.0.1 whose certificate names hooks.fourx.test only."""
    import shutil
    import ssl
    import subprocess
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make the test certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
                    "-days", "1", "-subj", "/CN=hooks.fourx.test", "-addext", "subjectAltName=DNS:hooks.fourx.test"],
                   check=True, capture_output=True)
    seen: list[tuple[str, str]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            self.rfile.read(int(self.headers["Content-Length"]))
            seen.append((self.path, self.headers["Host"]))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1], ssl.create_default_context(cafile=str(cert)), seen
    server.shutdown()


async def test_an_https_webhook_is_pinned_to_the_checked_address_and_verified_for_its_name(tls_receiver):
    port, trust, seen = tls_receiver

    async def resolver(host: str, _port: int):
        return [ipaddress.ip_address("127.0.0.1")]

    policy = OutboundPolicy(dev_mode=False, allowlist=Allowlist.parse(f"127.0.0.1:{port}"))
    sender = WebhookSender(type("S", (), {"send_timeout_seconds": 5.0})(), policy, resolver, verify=trust)
    delivery = {"_id": "d1", "recipient_id": "p", "ref": "tls", "kind": "bulletin", "district": "d",
                "subject": "s", "body": "b", "target": f"https://hooks.fourx.test:{port}/robot"}
    try:
        await sender.send(delivery)
        assert seen == [("/robot", f"hooks.fourx.test:{port}")]
        # The certificate is checked for the name in the URL, not for the address connected to.
        with pytest.raises(SendFailed, match="CERTIFICATE_VERIFY_FAILED"):
            await sender.send({**delivery, "target": f"https://other.fourx.test:{port}/robot"})
        assert len(seen) == 1
    finally:
        await sender.close()
