"""The portal in a real browser: the dev picker signs a person in, a person sees only their
own district (another district's API through the proxy is a 403 in Chinese), signing out
ends the session, and the event stream pushes a new event to the open page without reload."""

from __future__ import annotations

import re

import httpx
import pytest
from fourx_platform.auth import issue_token
from playwright.async_api import expect

from tests.browser.conftest import browser_district, import_directory
from tests.unit.meetings.fixtures import DIRECTORY_YAML

pytestmark = pytest.mark.integration

CHINESE = re.compile(r"[\u4e00-\u9fff]")


async def test_the_dev_picker_signs_a_person_in(console, page, directory_district, screenshot):
    await page.goto(f"{console.url}/login?district={directory_district}")
    button = page.locator('button[data-person="p-sec-1"]')
    await expect(button).to_be_visible()
    await expect(page.get_by_text("社区党委书记").first).to_be_visible()
    await screenshot(page, "login-picker")
    await button.click()
    await page.wait_for_url(f"{console.url}/")
    # The header names who is signed in, from /api/me (the directory's name and unit).
    who = page.locator('[data-test="who"]')
    await expect(who).to_contain_text("张伟")
    await expect(who).to_contain_text("和平社区")
    me = await page.evaluate("fetch('/api/me').then(r => r.json())")
    assert me["person_id"] == "p-sec-1" and me["district"] == directory_district
    assert me["roles"] == ["community_secretary"] and me["role_labels"] == {"community_secretary": "社区党委书记"}
    assert me["unit"] == {"kind": "community", "id": "c-1", "name": "和平社区", "street_id": "s-east",
                          "street_name": "东城街道"}
    # The session cookie is out of the page's reach (HttpOnly), SameSite=Lax.
    [cookie] = [c for c in await page.context.cookies() if c["name"] == "fourx_session"]
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"
    assert "fourx_session" not in await page.evaluate("document.cookie")


async def test_a_person_sees_only_their_district(console, page, signed_in, directory_district):
    other = browser_district()
    await import_directory(console, other)
    await signed_in(page, "p-sec-1", directory_district)
    own = await page.goto(f"{console.url}/api/issues/districts/{directory_district}/issues")
    assert own is not None and own.status == 200
    refused = await page.goto(f"{console.url}/api/issues/districts/{other}/issues")
    assert refused is not None and refused.status == 403
    shown = await page.locator("body").inner_text()
    assert CHINESE.search(shown), shown
    assert other in shown  # the refusal names the district it refused
    # The same through the app's own requests: the service's Chinese refusal reaches the page.
    body = await page.evaluate(f"fetch('/api/meetings/districts/{other}/directory').then(async r => "
                               "({status: r.status, body: await r.json()}))")
    assert body["status"] == 403 and CHINESE.search(str(body["body"]["detail"]))


async def test_a_write_without_the_console_header_is_refused(console, page, signed_in, directory_district):
    await signed_in(page, "p-office", directory_district)
    answer = await page.evaluate(f"""fetch('/api/issues/districts/{directory_district}/inspections', {{
        method: 'POST', headers: {{'Content-Type': 'application/json'}}, body: '{{}}'}})
        .then(async r => ({{status: r.status, body: await r.json()}}))""")
    assert answer == {"status": 403, "body": {"code": "portal.csrf",
                                              "detail": "请求被拒绝：请回到工作台页面，在页面上重新操作"}}


async def test_signing_out_ends_the_session(console, page, signed_in, directory_district, screenshot):
    await signed_in(page, "p-head", directory_district)
    await expect(page.locator('[data-test="who"]')).to_contain_text("孙丽")
    await screenshot(page, "signed-in-header")
    await page.get_by_role("button", name="退出").click()
    await page.wait_for_url(re.compile(r"/login"))
    me = await page.evaluate("fetch('/api/me').then(async r => ({status: r.status, body: await r.json()}))")
    assert me == {"status": 401, "body": {"code": "auth.signed_out", "detail": "请先登录"}}
    assert not [c for c in await page.context.cookies() if c["name"] == "fourx_session"]
    # A page of the app now leads to the sign-in.
    await page.goto(f"{console.url}/items")
    await page.wait_for_url(re.compile(r"/login"))


async def test_the_event_stream_pushes_new_events_without_reload(console, page, signed_in, directory_district):
    other = browser_district()
    await import_directory(console, other)
    await signed_in(page, "p-sec-1", directory_district)
    await page.evaluate("""() => new Promise((resolve, reject) => {
        window.__events = []
        const source = new EventSource('/api/events')
        source.addEventListener('directory-updated', (e) => window.__events.push(
            {type: e.type, id: e.lastEventId, event: JSON.parse(e.data)}))
        source.onopen = () => resolve()
        source.onerror = () => reject(new Error('event stream failed'))
    })""")
    hub = console.portal.events
    assert hub.listeners(directory_district) == 1
    loaded_at = await page.evaluate("performance.timeOrigin")

    async def rename(district: str, name: str) -> None:
        token = issue_token("p-office", district, ["party_office"])
        async with httpx.AsyncClient(base_url=console.services["meetings"], timeout=30) as client:
            answer = await client.put(f"/districts/{district}/directory",
                                      content=DIRECTORY_YAML.replace("张伟", name).encode(),
                                      headers={"Authorization": f"Bearer {token}", "Content-Type": "application/yaml"})
            assert answer.status_code == 200 and answer.json()["changed"], answer.text

    await rename(other, "别区的人")       # another district's event: never on this stream
    await rename(directory_district, "张伟民")
    await page.wait_for_function("window.__events.length >= 1", timeout=30_000)
    events = await page.evaluate("window.__events")
    assert [e["event"]["district"] for e in events] == [directory_district]
    [received] = events
    assert received["type"] == "directory-updated" and received["id"] == received["event"]["id"]
    assert any(p["name"] == "张伟民" for p in received["event"]["data"]["people"])
    # Delivered to the open page: the document was not reloaded.
    assert await page.evaluate("performance.timeOrigin") == loaded_at


async def test_an_unknown_person_is_told_so_in_chinese(console, page, directory_district):
    response = await page.goto(f"{console.url}/login?as=nobody&district={directory_district}")
    assert response is not None and response.status == 404
    assert (await response.json())["code"] == "auth.unknown_person"
    assert "名册中没有这个人员" in await page.locator("body").inner_text()
