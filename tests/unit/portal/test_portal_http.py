"""The portal's HTTP interface without Kafka or the services: the web app's fallback, the
CSRF guard, the session's refusals, dev sign-in on and off, the error catalog."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from fourx_platform import devkeys
from fourx_platform.auth import TokenVerifier
from fourx_platform.kafka import KafkaSettings

from fourx_portal.bootstrap import PortalConfigError, build_portal, create_app
from fourx_portal.events import EventHub, sse_message
from fourx_portal.proxy import ServiceProxy
from fourx_portal.settings import PortalSettings

DIRECTORY = {
    "district_name": "鼓楼区",
    "streets": [{"street_id": "s-1", "name": "东城街道"}],
    "communities": [{"community_id": "c-1", "street_id": "s-1", "name": "和平社区"}],
    "departments": [{"department_id": "d-1", "name": "区民政局"}],
    "people": [{"person_id": "p-sec", "name": "张伟", "roles": ["community_secretary"],
                "unit": {"kind": "community", "id": "c-1"}},
               {"person_id": "p-office", "name": "周敏", "roles": ["party_office"],
                "unit": {"kind": "district", "id": "d"}}],
}


@pytest.fixture
def dist(tmp_path: Path) -> Path:
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_text('<!doctype html><html lang="zh-CN"><div id="app"></div></html>')
    (tmp_path / "assets" / "index-abc.js").write_text("console.log('工作台')")
    (tmp_path / "favicon.ico").write_bytes(b"\x00")
    return tmp_path


def portal_client(dist: Path, *, dev: bool = True, **settings) -> TestClient:
    """The portal app with its HTTP client open and no Kafka reader started (no lifespan)."""
    portal = build_portal(PortalSettings(static_dir=dist, **settings), KafkaSettings(), TokenVerifier(), dev=dev)
    portal.open_http()
    if portal.directories is not None:
        portal.directories.received(b"d", {"district": "d", "data": DIRECTORY})
    return TestClient(create_app(portal), base_url="http://console.test")


def test_history_fallback_serves_the_app_and_assets(dist):
    client = portal_client(dist)
    for path in ("/", "/items", "/items/ISS-1/timeline", "/login-help"):
        page = client.get(path)
        assert page.status_code == 200 and 'id="app"' in page.text, path
        assert page.headers["cache-control"] == "no-cache"
    asset = client.get("/assets/index-abc.js")
    assert asset.status_code == 200 and "工作台" in asset.text
    assert "immutable" in asset.headers["cache-control"]
    assert client.get("/favicon.ico").content == b"\x00"
    # Under /api, /auth, /assets a missing path is a JSON 404, never the app.
    for path in ("/api/nothing", "/assets/missing.js", "/auth/nothing"):
        missing = client.get(path)
        assert missing.status_code == 404 and missing.json() == {"code": "portal.not_found",
                                                                  "detail": "页面或接口不存在"}, path


def test_no_file_outside_the_app_is_served(dist, tmp_path):
    (tmp_path.parent / "secret.txt").write_text("secret")
    client = portal_client(dist)
    for path in ("/../secret.txt", "/%2e%2e/secret.txt", "/assets/..%2f..%2fsecret.txt"):
        answer = client.get(path)
        assert "secret" not in answer.text, path


def test_an_unbuilt_app_says_what_to_run(tmp_path):
    client = portal_client(tmp_path / "no-dist")
    page = client.get("/")
    assert page.status_code == 503 and "make setup" in page.text and "工作台尚未构建" in page.text


def test_writes_need_the_console_header_and_reads_a_session(dist):
    client = portal_client(dist)
    for method in ("POST", "PUT", "PATCH", "DELETE"):
        refused = client.request(method, "/api/issues/districts/d/issues")
        assert refused.status_code == 403 and refused.json()["code"] == "portal.csrf", method
    # With the header, the next wall is the session.
    signed_out = client.post("/api/issues/districts/d/issues", headers={"X-Requested-With": "fourx-console"})
    assert signed_out.status_code == 401 and signed_out.json() == {"code": "auth.signed_out", "detail": "请先登录"}
    assert client.get("/api/me").json()["code"] == "auth.signed_out"
    assert client.get("/api/events").status_code == 401
    unknown = client.get("/api/billing/x")
    assert unknown.status_code == 404 and unknown.json()["code"] == "portal.not_found"


def test_a_forged_or_expired_session_is_refused(dist, tmp_path):
    client = portal_client(dist)
    other = devkeys.generate(tmp_path / "other")
    forged = devkeys.issue_token("p-office", "d", ["party_office"], private_key_file=other.private_key_file)
    expired = devkeys.issue_token("p-office", "d", ["party_office"], ttl=timedelta(hours=-1))
    for token in (forged, expired, "not-a-token"):
        client.cookies.set("fourx_session", token)
        answer = client.get("/api/me")
        assert answer.status_code == 401 and answer.json()["code"] == "auth.session_expired"


def test_dev_sign_in_lists_people_and_signs_them_in(dist):
    client = portal_client(dist)
    assert client.get("/auth/districts").json() == ["d"]
    people = client.get("/auth/people", params={"district": "d"}).json()
    assert people[0] == {"person_id": "p-sec", "name": "张伟", "district": "d", "district_name": "鼓楼区",
                         "roles": ["community_secretary"], "role_labels": ["社区党委书记"],
                         "unit": {"kind": "community", "id": "c-1", "name": "和平社区", "street_id": "s-1",
                                  "street_name": "东城街道"}}
    assert people[1]["unit"] == {"kind": "district", "id": "d", "name": "鼓楼区"}
    assert client.get("/auth/people", params={"district": "elsewhere"}).json() == []

    signed = client.get("/login", params={"as": "p-sec", "district": "d", "next": "/items?light=red"},
                        follow_redirects=False)
    assert signed.status_code == 302 and signed.headers["location"] == "/items?light=red"
    cookie = signed.headers["set-cookie"]
    assert "fourx_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert "Secure" not in cookie  # dev mode is plain http on loopback
    # The token carries the directory's roles, signed with the stack's key: a service accepts it.
    token = client.cookies["fourx_session"]
    caller = TokenVerifier().verify(token)
    assert (caller.person_id, caller.district, caller.roles) == ("p-sec", "d", frozenset({"community_secretary"}))
    # Only local paths after sign-in: no open redirect.
    for evil in ("//evil.example/x", "https://evil.example", "/\\evil.example"):
        answer = client.get("/login", params={"as": "p-sec", "district": "d", "next": evil}, follow_redirects=False)
        assert answer.headers["location"] == "/", evil
    # The district may be left out when the person id says it.
    assert client.get("/login", params={"as": "p-office"}, follow_redirects=False).status_code == 302
    unknown = client.get("/login", params={"as": "nobody", "district": "d"}, follow_redirects=False)
    assert unknown.status_code == 404 and unknown.json()["code"] == "auth.unknown_person"
    assert "名册中没有这个人员" in unknown.json()["detail"]
    # Sign-out clears the cookie.
    out = client.post("/auth/logout")
    assert out.status_code == 204 and 'fourx_session=""' in out.headers["set-cookie"]


def test_without_a_signing_key_dev_sign_in_is_off(dist, monkeypatch):
    monkeypatch.delenv(devkeys.PRIVATE_KEY_ENV)
    client = portal_client(dist)
    assert client.get("/auth/people").status_code == 404


def test_dev_sign_in_is_off_outside_dev_mode(dist, monkeypatch):
    monkeypatch.delenv(devkeys.PRIVATE_KEY_ENV)
    client = portal_client(dist, dev=False, oidc_issuer="https://idp.example", oidc_client_id="fourx-console",
                           oidc_redirect_url="https://console.example/auth/callback")
    for path, params in (("/auth/people", {}), ("/auth/people", {"district": "d"}), ("/auth/districts", {}),
                         ("/auth/cities", {}), ("/login", {"as": "p-city", "city": "fz"}),
                         ("/login", {"as": "p-office", "district": "d"})):
        answer = client.get(path, params=params, follow_redirects=False)
        assert answer.status_code == 404 and answer.json()["code"] == "portal.not_found", path
        assert "set-cookie" not in answer.headers


def test_production_refuses_what_it_must_not_run_with(dist, monkeypatch):
    oidc = {"oidc_issuer": "https://idp.example", "oidc_client_id": "fourx-console",
            "oidc_redirect_url": "https://console.example/auth/callback"}
    # The suite's signing key is in the environment: a production portal never takes it.
    with pytest.raises(PortalConfigError, match="never signs"):
        build_portal(PortalSettings(static_dir=dist, **oidc), KafkaSettings(), TokenVerifier(), dev=False)
    monkeypatch.delenv(devkeys.PRIVATE_KEY_ENV)
    with pytest.raises(PortalConfigError, match="OpenID Connect"):
        build_portal(PortalSettings(static_dir=dist), KafkaSettings(), TokenVerifier(), dev=False)
    with pytest.raises(PortalConfigError, match="https"):
        build_portal(PortalSettings(static_dir=dist, **{**oidc, "oidc_redirect_url": "http://console.example/cb"}),
                     KafkaSettings(), TokenVerifier(), dev=False)
    portal = build_portal(PortalSettings(static_dir=dist, **oidc), KafkaSettings(), TokenVerifier(), dev=False)
    assert portal.dev_sign_in is None and portal.directories is None and portal.cookie.secure


def test_the_error_catalog_merges_the_services_codes(dist, tmp_path):
    codes = tmp_path / "error-codes.json"
    codes.write_text(json.dumps({"issues.not_found": {"message": "没有这个督办事项"}, "auth.forbidden": "无权访问"}),
                     encoding="utf-8")
    catalog = portal_client(dist, error_codes_file=codes).get("/api/error-codes").json()
    assert catalog["issues.not_found"] == "没有这个督办事项" and catalog["auth.forbidden"] == "无权访问"
    assert catalog["portal.csrf"].startswith("请求被拒绝")
    # Without the file: the portal's own codes.
    assert "portal.csrf" in portal_client(dist, error_codes_file=tmp_path / "none.json").get("/api/error-codes").json()


def test_next_page_links_come_back_through_the_proxy():
    link = '<http://127.0.0.1:8102/districts/d/issues?offset=50&limit=50>; rel="next"'
    assert ServiceProxy._rewrite_link("issues", link) == '</api/issues/districts/d/issues?offset=50&limit=50>; rel="next"'


def test_an_event_is_one_sse_message():
    event = {"id": "e-1", "type": "issue-raised", "district": "d", "data": {"title": "第一行\n第二行"}}
    message = sse_message(event).decode()
    assert message.startswith("event: issue-raised\nid: e-1\ndata: ") and message.endswith("\n\n")
    assert json.loads(message.split("data: ", 1)[1]) == event


async def test_the_hub_keeps_districts_apart_and_drops_a_stream_that_falls_behind():
    hub = EventHub(KafkaSettings(), backlog=2)
    async with hub.stream("d") as mine, hub.stream("other") as theirs:
        hub.received(b"d", {"id": "1", "district": "d"})
        hub.received(b"other", {"id": "2", "district": "other"})
        assert mine.get_nowait()["id"] == "1" and mine.empty()
        assert theirs.get_nowait()["id"] == "2"
        for n in range(5):
            hub.received(b"d", {"id": f"x{n}", "district": "d"})
        # Fell behind: ended (None), no longer fed.
        assert mine.get_nowait() is None and hub.listeners("d") == 0
    assert hub.listeners("other") == 0


def test_the_frameworks_own_refusals_are_worded_in_chinese(dist):
    client = portal_client(dist)
    too_long = client.get("/auth/people", params={"district": "x" * 500})
    assert too_long.status_code == 422 and too_long.json() == {"code": "portal.invalid_request",
                                                               "detail": "请求参数不正确，请检查后重试"}
    wrong_method = client.post("/healthz")
    assert wrong_method.status_code == 405 and wrong_method.json()["code"] == "portal.method_not_allowed"
    page = client.get("/")
    assert page.headers["x-frame-options"] == "DENY" and page.headers["x-content-type-options"] == "nosniff"


def test_the_event_stream_ends_with_the_session(dist):
    client = portal_client(dist)
    client.cookies.set("fourx_session", devkeys.issue_token("p-sec", "d", ["community_secretary"],
                                                            ttl=timedelta(seconds=2)))
    with client.stream("GET", "/api/events") as stream:
        assert stream.status_code == 200 and stream.headers["content-type"].startswith("text/event-stream")
        body = b"".join(stream.iter_bytes())  # returns: the stream ended when the token did
    assert body.startswith(b": connected\n\n")


def test_dev_sign_in_as_a_city_person(dist):
    """The cities are those the districts' directories name; a city sign-in gets a city-level
    token (city_org_dept, the `city` claim, no district) and /api/me answers without a district."""
    client = portal_client(dist)
    directories = client.app.state.portal.directories
    directories.received(b"d2", {"district": "d2", "data": {**DIRECTORY, "district_name": "台江区", "city": "fz"}})
    directories.received(b"d3", {"district": "d3", "data": {**DIRECTORY, "district_name": "思明区", "city": "xm"}})
    assert client.get("/auth/cities").json() == [
        {"city": "fz", "districts": [{"district": "d2", "name": "台江区"}]},
        {"city": "xm", "districts": [{"district": "d3", "name": "思明区"}]}]

    signed = client.get("/login", params={"as": "p-city", "city": "fz", "next": "/city"}, follow_redirects=False)
    assert signed.status_code == 302 and signed.headers["location"] == "/city"
    caller = TokenVerifier().verify(client.cookies["fourx_session"])
    assert (caller.person_id, caller.district or None, caller.city, caller.roles) == (
        "p-city", None, "fz", frozenset({"city_org_dept"}))
    me = client.get("/api/me")
    assert me.status_code == 200
    assert me.json() == {"person_id": "p-city", "name": "p-city", "district": None, "city": "fz",
                         "roles": ["city_org_dept"], "role_labels": {"city_org_dept": "市委组织部"},
                         "unit": {"kind": "city", "id": "fz", "name": "fz"}}
    refused = client.get("/api/events")
    assert refused.status_code == 403 and refused.json()["code"] == "portal.city_no_events"

    unknown = client.get("/login", params={"as": "p-city", "city": "nowhere"}, follow_redirects=False)
    assert unknown.status_code == 404 and unknown.json()["code"] == "auth.unknown_city"
    assert "nowhere" in unknown.json()["detail"]
    nobody = client.get("/login", params={"as": " ", "city": "fz"}, follow_redirects=False)
    assert nobody.status_code == 404 and "set-cookie" not in nobody.headers

