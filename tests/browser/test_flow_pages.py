"""The web console's pages in Chromium over the real stack (services on the suite's Kafka and
store, the portal in front, the built app): the acceptance flow of issue 13 as its people
do it, the same report form on a phone, live lights on the office's 工作台, no English
on any page, and every API error code worded in Chinese by the console's API client.

One district for the module (one directory, one activity day); the tests run in file order
and build on each other's state, as the people of one district do in one month."""

from __future__ import annotations

import re
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import pytest_asyncio
from fourx_contracts.vocabulary import LIGHT_LABELS
from fourx_platform.auth import issue_token
from fourx_platform.loops import poll_until
from playwright.async_api import Page, expect

from tests.browser.conftest import Console, import_directory, screenshot
from tests.integration.test_walking_skeleton import request_report

pytestmark = pytest.mark.integration

# One street, one community: the day closes once its report, comment and summary are in.
DIRECTORY_YAML = """\
district_name: 晋安区
venue: 区党群服务中心二楼会议室
streets:
  - {street_id: s-1, name: 东城街道}
communities:
  - {community_id: c-1, street_id: s-1, name: 和平社区}
departments:
  - {department_id: d-civil, name: 区民政局}
people:
  - {person_id: p-sec, name: 张伟, roles: [community_secretary], unit: {kind: community, id: c-1}}
  - {person_id: p-org, name: 刘洋, roles: [street_org_member], unit: {kind: street, id: s-1}, channels: [{kind: in_app}]}
  - {person_id: p-civil, name: 赵磊, roles: [dept_responsible_leader], unit: {kind: department, id: d-civil}}
  - {person_id: p-head, name: 孙丽, roles: [org_deputy_head], unit: {kind: district, id: office}}
  - {person_id: p-office, name: 周敏, roles: [party_office], unit: {kind: district, id: office}, channels: [{kind: in_app}]}
"""
ROLES = {"p-sec": ["community_secretary"], "p-org": ["street_org_member"], "p-civil": ["dept_responsible_leader"],
         "p-head": ["org_deputy_head"], "p-office": ["party_office"]}
MONTH, DAY = "2026-11", "2026-11-06"
OPEN_ITEM = "背街小巷路灯修复"
TASK = "完成和平社区养老服务站选址"
TASK_DUE = "2026-11-30"

# Words a user may see that are not English text: proper names of file formats, and the ids
# of this test's district (shown where an id is the name, e.g. the sign-in picker).
ALLOWED_WORDS = {"Excel", "Word", "Markdown", "YAML"}
LATIN_WORD = re.compile(r"[A-Za-z]{3,}")
HAN = re.compile(r"[\u4e00-\u9fff]")


@dataclass
class Month:
    """The module's district and what the flow leaves behind for the later tests."""

    district: str
    meeting_id: str
    services: dict[str, str]
    facts: dict[str, Any] = field(default_factory=dict)

    def headers(self, person_id: str) -> dict[str, str]:
        roles = ROLES.get(person_id, ["platform_admin"])
        return {"Authorization": f"Bearer {issue_token(person_id, self.district, roles)}"}

    async def call(self, service: str, method: str, path: str, person_id: str, **kw: Any) -> Any:
        async with httpx.AsyncClient(base_url=self.services[service], timeout=30) as client:
            answer = await client.request(method, f"/districts/{self.district}{path}",
                                          headers=self.headers(person_id), **kw)
        assert answer.status_code < 300, f"{method} {path}: {answer.status_code} {answer.text}"
        return answer.json()


@pytest_asyncio.fixture(scope="module")
async def month(console: Console) -> Month:
    """A district with its directory, November's activity day (its date taken as today by the
    meetings service) and one open item of the community, already on the report form."""
    district = f"pg-{uuid.uuid4().hex[:10]}"
    await import_directory(console, district, DIRECTORY_YAML)
    scheduled = Month(district, "", console.services)
    day = await scheduled.call("meetings", "POST", "/activity-days/schedule", "p-office", json={"month": MONTH})
    scheduled.meeting_id = day["meeting_id"]
    await scheduled.call("meetings", "PUT", "/clock", "ops", json={"today": DAY})
    await scheduled.call("issues", "POST", "/issues", "p-office", json={
        "title": OPEN_ITEM, "source": {"kind": "community", "ref": "c-1"},
        "responsible": {"kind": "community", "id": "c-1"}, "due_date": "2026-12-20", "raised_on": "2026-11-01"})

    async def on_form() -> bool:
        form = await scheduled.call("meetings", "GET", f"/activity-days/{scheduled.meeting_id}/reports/c-1/form", "p-sec")
        return any(i["title"] == OPEN_ITEM for i in form["supervision_items"])

    assert await poll_until(on_form, timeout=30), "the open item never reached the report form"
    return scheduled


async def go(page: Page, console: Console, path: str) -> None:
    await page.goto(console.url + path)
    await page.wait_for_load_state("networkidle")


async def pick(page: Page, select: str, option: str) -> None:
    """Choose `option` in an Element Plus select (its list is teleported to the body)."""
    await page.locator(select).click()
    await page.locator(".el-select-dropdown__item:visible", has_text=option).first.click()


async def confirm(page: Page, button: str) -> None:
    await page.locator(".el-message-box__btns button", has_text=button).click()


async def as_person(page: Page, console: Console, signed_in: Callable[..., Awaitable[None]], month: Month,
                    person_id: str, path: str) -> None:
    await page.context.clear_cookies()
    await signed_in(page, person_id, month.district, path)
    await page.wait_for_load_state("networkidle")


async def test_report_form_on_a_phone(month: Month, console: Console, phone_page: Page, signed_in) -> None:
    """The community secretary fills the report form on a phone (390 × 844): labels above the
    fields, nothing wider than the screen, the menu in a drawer."""
    page = phone_page
    await as_person(page, console, signed_in, month, "p-sec", f"/activity-days/{month.meeting_id}?community=c-1")
    form = page.locator("[data-test=report-form]")
    await expect(form).to_have_class(re.compile(r"el-form--label-top"))
    await expect(page.locator("[data-test=form-item]", has_text=OPEN_ITEM)).to_be_visible()
    last_month = page.locator("[data-test=last-month]")
    assert OPEN_ITEM in await last_month.input_value(), "the form is not pre-filled with the community's open item"
    assert await page.evaluate("document.documentElement.scrollWidth") <= 390, "the page scrolls sideways on a phone"
    box = await last_month.bounding_box()
    assert box and box["width"] >= 300 and box["x"] + box["width"] <= 390
    await expect(page.locator(".aside")).to_have_count(0)
    await page.locator("[data-test=next-month]").fill("协调供电所完成剩余线路改造")
    await page.locator("[data-test=submit-report]").click()
    await expect(page.locator("[data-test=report-recorded]")).to_contain_text("张伟")
    await screenshot(page, "activity-day-report-phone")
    form_now = await month.call("meetings", "GET", f"/activity-days/{month.meeting_id}/reports/c-1/form", "p-sec")
    assert form_now["recorded"]["next_month"] == "协调供电所完成剩余线路改造"
    await page.locator(".menu-button").click()
    await expect(page.locator(".menu-drawer .el-menu-item", has_text="督办清单")).to_be_visible()
    await screenshot(page, "menu-drawer-phone")


async def test_acceptance_flow(month: Month, console: Console, page: Page, signed_in) -> None:
    day_path = f"/activity-days/{month.meeting_id}"

    # 1. The community secretary fills the report form (begun on the phone, pre-filled with the
    #    community's open item) at a desk and submits it.
    await as_person(page, console, signed_in, month, "p-sec", f"{day_path}?community=c-1")
    await expect(page.locator("[data-test=form-item]", has_text=OPEN_ITEM)).to_be_visible()
    last_month = page.locator("[data-test=last-month]")
    assert OPEN_ITEM in await last_month.input_value(), "the form does not show the community's report"
    await last_month.fill(f"{OPEN_ITEM}：已完成摸排，更换灯杆 12 根")
    await page.locator("[data-test=next-month]").fill("协调供电所完成剩余线路改造")
    await page.locator("[data-test=submit-report]").click()
    await expect(page.locator("[data-test=report-recorded]")).to_contain_text("张伟")
    await screenshot(page, "activity-day-report")
    day = await month.call("meetings", "GET", day_path, "p-office")
    assert [r["by"] for r in day["agenda"]["community_reports"]] == ["p-sec"]

    # 2. The street's organisation committee member sees on the 工作台 what awaits a comment,
    #    and comments on the community.
    await as_person(page, console, signed_in, month, "p-org", "/")
    await expect(page.locator("[data-test=day-due]")).to_contain_text("待点评社区：和平社区")
    await page.get_by_role("button", name="去办理").click()
    card = page.locator("[data-community=c-1]")
    await expect(card).to_contain_text("已完成摸排")
    await card.locator("[data-test=comment-text]").fill("路灯修复及时，要建立长效巡查机制。")
    await card.locator("[data-test=submit-comment]").click()
    await expect(card).to_contain_text("路灯修复及时")
    await screenshot(page, "activity-day-comments")

    # 3. The department's responsible leader assigns a task to the community.
    await as_person(page, console, signed_in, month, "p-civil", f"{day_path}?tab=tasks")
    form = page.locator("[data-test=task-form]")
    await form.locator("[data-test=task-title]").fill(TASK)
    await pick(page, "[data-test=task-form] .unit-picker .el-select >> nth=0", "社区")
    await pick(page, "[data-test=task-form] .unit-picker .el-select >> nth=1", "和平社区")
    due = form.locator(".el-date-editor input")
    await due.fill(TASK_DUE)
    await due.press("Enter")
    await form.locator("[data-test=submit-task]").click()
    await expect(page.locator(".el-table", has_text=TASK)).to_contain_text("和平社区")
    await screenshot(page, "activity-day-tasks")

    # 4. The deputy head tries to close first: the page lists what is missing (the summary).
    await as_person(page, console, signed_in, month, "p-head", f"{day_path}?tab=summary")
    await expect(page.locator("[data-test=missing]")).to_contain_text("缺少分管副部长的总结讲评")
    await page.locator("[data-test=close-day]").click()
    await confirm(page, "结束")
    await expect(page.locator(".el-message--error")).to_contain_text("缺少")
    await expect(page.locator("[data-test=missing]")).to_contain_text("总结")
    await screenshot(page, "activity-day-cannot-close")
    await page.locator("[data-test=summary-input]").fill("各社区要把问题清单落实到人，按周写实。")
    await page.locator("[data-test=submit-summary]").click()
    await expect(page.locator("[data-test=summary-text]")).to_contain_text("落实到人")
    await page.locator("[data-test=close-day]").click()
    await confirm(page, "结束")
    await expect(page.locator("[data-test=day-held]")).to_be_visible()
    await expect(page.locator("[data-test=day-status]")).to_have_text("已召开")
    await screenshot(page, "activity-day-closed")

    # 5. The task becomes a supervision item: the secretary's 督办清单 shows it with its light.
    seen: list[dict] = []

    async def raised() -> bool:
        found = await month.call("issues", "GET", "/issues", "p-sec", params={"community": "c-1"})
        seen[:] = [i for i in found["items"] if i["title"] == TASK]
        return bool(seen)

    assert await poll_until(raised, timeout=30), "the closed day's task never became a supervision item"
    item = seen[0]
    month.facts["issue_id"] = item["issue_id"]
    await as_person(page, console, signed_in, month, "p-sec", "/items")
    row = page.locator("[data-test=items-table] .el-table__row", has_text=TASK)
    await expect(row).to_be_visible()
    assert item["light"], "a new, open item has a light"
    await expect(row.locator(".light-tag")).to_have_attribute("data-light", item["light"])
    await expect(row.locator(".light-tag")).to_have_text(LIGHT_LABELS[item["light"]])
    await expect(page.locator("[data-test=filter-community]")).to_contain_text("和平社区")
    await screenshot(page, "items-secretary")

    # 6. The office issues a supervision notice on the item.
    item_path = f"/items/{item['issue_id']}"
    await as_person(page, console, signed_in, month, "p-office", item_path)
    await page.locator("[data-test=notice-reason]").fill("选址进度滞后，请于期限内说明情况。")
    await page.locator("[data-test=issue-notice]").click()
    await expect(page.locator("[data-test=notice-unsigned]")).to_be_visible()
    await screenshot(page, "item-notice-issued")

    # 7. The secretary signs it (签收) — the 工作台 lists it as to sign first.
    await as_person(page, console, signed_in, month, "p-sec", "/")
    await expect(page.locator("[data-test=home-notices]")).to_contain_text(TASK)
    await screenshot(page, "home-secretary")
    await go(page, console, item_path)
    await page.locator("[data-test=sign-notice]").click()
    await expect(page.locator("[data-test=notice-signed]")).to_be_visible()

    # 8. The office sees it signed, on the item and on the notices page.
    await as_person(page, console, signed_in, month, "p-office", item_path)
    await expect(page.locator("[data-test=notice]")).to_contain_text("张伟")
    await expect(page.locator("[data-test=notice-signed]")).to_be_visible()
    await expect(page.locator("[data-test=timeline]")).to_contain_text("签收督办通知（张伟）")
    await screenshot(page, "item-notice-signed")
    await go(page, console, "/notices")
    await expect(page.locator("[data-test=notices-table] .el-table__row", has_text=TASK)).to_contain_text("已签收")
    await screenshot(page, "notices-office")
    stored = await month.call("issues", "GET", f"/issues/{item['issue_id']}", "p-office")
    assert stored["notice"]["acknowledged_by"] == "p-sec"

    # 9. The office schedules the interview (约谈) and records its outcome.
    await go(page, console, item_path)
    await fill_date(page, "[data-test=schedule-interview] .interview-date", "2026-11-12")
    await page.locator("[data-test=interview-place]").fill("区委党建办二楼会议室")
    await page.locator("[data-test=save-interview]").click()
    await expect(page.locator("[data-test=interview]")).to_contain_text("区委党建办二楼会议室")
    await expect(page.locator("[data-test=interview]")).to_contain_text("张伟")
    await page.locator("[data-test=interview-outcome]").fill("已说明滞后原因，承诺月底前完成选址")
    await page.locator("[data-test=save-outcome]").click()
    await expect(page.locator("[data-test=interview]")).to_contain_text("承诺月底前完成选址")
    await screenshot(page, "item-interview")
    stored = await month.call("issues", "GET", f"/issues/{item['issue_id']}", "p-office")
    assert stored["interview"]["place"] == "区委党建办二楼会议室" and stored["interview"]["person_id"] == "p-sec"
    assert stored["interview"]["outcome"] == "已说明滞后原因，承诺月底前完成选址"


async def test_progress_on_a_phone(month: Month, console: Console, phone_page: Page, signed_in) -> None:
    """The secretary records the week's progress on the new item from a phone."""
    page = phone_page
    issue_id = month.facts.get("issue_id")
    assert issue_id, "the acceptance flow left no item"
    await as_person(page, console, signed_in, month, "p-sec", f"/items/{issue_id}")
    form = page.locator("[data-test=progress-form]")
    await expect(form).to_have_class(re.compile(r"el-form--label-top"))
    assert await page.evaluate("document.documentElement.scrollWidth") <= 390, "the page scrolls sideways on a phone"
    await page.locator("[data-test=progress-form] .el-slider__input input").fill("30")
    await page.locator("[data-test=progress-note]").fill("完成三处备选点位踏勘")
    await page.locator("[data-test=save-progress]").click()
    await expect(page.locator("[data-test=timeline]")).to_contain_text("完成三处备选点位踏勘")
    await screenshot(page, "item-progress-phone")
    stored = await month.call("issues", "GET", f"/issues/{issue_id}", "p-office")
    assert [(r["percent"], r["note"]) for r in stored["progress"]] == [(30, "完成三处备选点位踏勘")]


async def test_office_home_is_live(month: Month, console: Console, page: Page, signed_in) -> None:
    """The office's 工作台 shows the district's lights by street and community and takes new
    events from the stream: an item raised meanwhile appears without a reload."""
    await as_person(page, console, signed_in, month, "p-office", "/")
    lights = page.locator("[data-test=home-lights]")
    await expect(lights.locator("[data-test=live-on]")).to_be_visible()
    street_row = lights.locator(".el-table__row", has_text="东城街道")
    title = f"楼道堆物清理-{uuid.uuid4().int % 10000:04d}"  # digits: a hex suffix can read as an English word
    await month.call("issues", "POST", "/issues", "p-office", json={
        "title": title, "source": {"kind": "community", "ref": "c-1"},
        "responsible": {"kind": "community", "id": "c-1"}, "due_date": "2026-11-13"})
    await expect(lights.locator("[data-test=feed-item]", has_text=title)).to_be_visible(timeout=30_000)
    # The street's total follows the service: its items with a light, the new one among them
    # (counted from the API, not "before + 1": earlier tests' items may still be arriving).
    listed = (await month.call("issues", "GET", "/issues", "p-office", params={"street": "s-1", "limit": 200}))["items"]
    assert any(i["title"] == title for i in listed)
    await expect(street_row.locator("td").last).to_have_text(str(sum(1 for i in listed if i.get("light"))),
                                                             timeout=15_000)
    await screenshot(page, "home-office")


# Every page of the menu, for the office and for the community secretary.
PAGES = ["/", "/activity-days", "/topics", "/activities", "/items", "/notices", "/inspections", "/bulletins",
         "/league", "/directory", "/outcomes", "/suggestions"]


async def english_words(page: Page, *ids: str) -> set[str]:
    """Latin words of the visible text, less the allowed names and the given ids."""
    text = await page.evaluate("document.body.innerText")
    for shown_id in ids:
        text = text.replace(shown_id, "")
    return set(LATIN_WORD.findall(text)) - ALLOWED_WORDS


async def test_no_page_shows_english(month: Month, console: Console, page: Page, signed_in) -> None:
    """Every page as the people see it: Chinese only, except the allowed proper names; each
    page's screenshot is saved."""
    found: dict[str, set[str]] = {}
    pages = {**{p.strip("/") or "home": p for p in PAGES}, "activity-day": f"/activity-days/{month.meeting_id}",
             "item": f"/items/{month.facts.get('issue_id', '')}", "not-found": "/no-such-page"}
    for person in ("p-office", "p-sec"):
        await as_person(page, console, signed_in, month, person, "/")
        for name, path in pages.items():
            await go(page, console, path)
            await page.wait_for_timeout(300)
            assert HAN.search(await page.evaluate("document.body.innerText")), f"{path} shows no Chinese text"
            if words := await english_words(page, month.district):
                found[f"{person} {path}"] = words
            await screenshot(page, f"page-{person}-{name}")
    await page.context.clear_cookies()
    await go(page, console, f"/login?district={month.district}")
    await expect(page.locator("[data-person=p-sec]")).to_be_visible()
    if words := await english_words(page, month.district):
        found["/login"] = words
    await screenshot(page, "page-login")
    assert not found, f"English shown to users: {found}"


async def test_every_error_code_reads_chinese(month: Month, console: Console, page: Page, signed_in) -> None:
    """Every code of the API's error catalog reaches the user as a Chinese sentence through the
    console's API client, and a real refusal is shown in Chinese on the page."""
    await as_person(page, console, signed_in, month, "p-sec", "/")
    catalog = await page.evaluate("fetch('/api/error-codes').then(r => r.json())")
    codes = catalog.get("codes", catalog)
    assert codes, "the portal serves no error catalog (/api/error-codes)"
    shown = await page.evaluate("""async (codes) => {
        await window.fourxConsole.loadErrorCatalog()
        const out = {}
        for (const code of codes) out[code] = window.fourxConsole.messageFor({code, detail: 'field required'}, 422)
        out['(unknown code, English detail)'] = window.fourxConsole.messageFor({code: 'no.such.code', detail: 'Not Found'}, 404)
        out['(no body)'] = window.fourxConsole.messageFor(null, 500)
        return out
    }""", list(codes))
    not_chinese = {code: text for code, text in shown.items() if not HAN.search(text) or LATIN_WORD.findall(text)}
    assert not not_chinese, f"error codes shown without a Chinese message: {not_chinese}"
    for code, entry in codes.items():
        wanted = entry["message"] if isinstance(entry, dict) else entry
        assert shown[code].startswith(wanted), (code, shown[code])

    # A real refusal: the day is held, so a new topic for it is refused; the page says why in Chinese.
    await go(page, console, "/topics")
    await expect(page.locator("[data-test=topic-window]")).to_contain_text("截止")
    refused = await page.evaluate("""(path) => fetch(path, {method: 'POST', credentials: 'same-origin',
        headers: {'Content-Type': 'application/json', 'X-Requested-With': 'fourx-console'},
        body: JSON.stringify({title: '迟到的议题'})}).then(async r => [r.status, await r.json()])""",
        f"/api/meetings/districts/{month.district}/activity-days/{month.meeting_id}/topics")
    status, body = refused
    assert status >= 400
    message = await page.evaluate("([b, s]) => window.fourxConsole.messageFor(b, s)", [body, status])
    assert HAN.search(message) and not LATIN_WORD.findall(message), message



async def fill_date(page: Page, editor: str, value: str) -> None:
    """Type a date into the Element Plus date editor `editor` (a selector of the editor)."""
    field = page.locator(f"{editor} input").last
    await field.fill(value)
    await field.press("Enter")


async def test_topics_activities_and_inspections(month: Month, console: Console, page: Page, signed_in) -> None:
    """议题征集 within the window (the secretary proposes, the office selects), an X activity
    whose decision becomes an item, an inspection whose finding becomes an item."""
    await month.call("meetings", "PUT", "/clock", "ops", json={"today": "2026-11-24"})
    december = await month.call("meetings", "POST", "/activity-days/schedule", "p-office", json={"month": "2026-12"})
    assert december["topic_deadline"] >= "2026-11-24" >= december["solicitation_opens"]

    await as_person(page, console, signed_in, month, "p-sec", "/topics")
    await expect(page.locator("[data-test=topic-window]")).to_contain_text("议题征集进行中")
    await page.locator("[data-test=topic-title]").fill("老旧小区充电桩安装协调")
    await page.locator("[data-test=propose-topic]").click()
    await expect(page.locator("[data-test=topics-table]")).to_contain_text("老旧小区充电桩安装协调")
    await as_person(page, console, signed_in, month, "p-office", "/topics")
    await page.locator("[data-test=select-topic]").click()
    await expect(page.locator("[data-test=topics-table]")).to_contain_text("已选定")
    await screenshot(page, "topics-office")
    day = await month.call("meetings", "GET", f"/activity-days/{december['meeting_id']}", "p-office")
    assert [t["title"] for t in day["agenda"]["x_items"]] == ["老旧小区充电桩安装协调"]

    # A collective diagnosis: what it decided becomes a supervision item of the community.
    await go(page, console, "/activities")
    await page.locator("[data-test=new-activity]").click()
    dialog = ".activity-dialog"
    await pick(page, "[data-test=activity-kind]", "集体会诊")
    await fill_date(page, f"{dialog} .activity-date", "2026-11-20")
    await page.locator("[data-test=activity-title]").fill("充电桩安装难集体会诊")
    await pick(page, "[data-test=activity-participants]", "张伟")
    await page.keyboard.press("Escape")
    await page.locator("[data-test=activity-problem]").fill("物业与业委会意见不一，电力增容无人牵头")
    await page.locator("[data-test=add-outcome]").click()
    row = page.locator(f"{dialog} .outcome-row").first
    await row.locator("input").first.fill("制定充电桩安装协调流程")
    await pick(page, f"{dialog} .outcome-row .unit-picker .el-select >> nth=0", "社区")
    await pick(page, f"{dialog} .outcome-row .unit-picker .el-select >> nth=1", "和平社区")
    await fill_date(page, f"{dialog} .outcome-row .el-date-editor", "2026-12-31")
    await page.locator("[data-test=save-activity]").click()
    await expect(page.locator("[data-test=activities-table]")).to_contain_text("充电桩安装难集体会诊")
    await expect(page.locator("[data-test=activities-table]")).to_contain_text("制定充电桩安装协调流程")
    await screenshot(page, "activities-office")

    # An inspection: planned, held, its finding raised as an item.
    await go(page, console, "/inspections")
    await page.locator("[data-test=plan-inspection]").click()
    await fill_date(page, ".plan-dialog .el-date-editor", "2026-11-23")
    await pick(page, ".plan-dialog .unit-picker .el-select >> nth=0", "社区")
    await pick(page, ".plan-dialog .unit-picker .el-select >> nth=1", "和平社区")
    await page.locator("[data-test=save-plan]").click()
    await page.locator("[data-test=record-findings]").click()
    findings = ".findings-dialog"
    await page.locator(f"{findings} .finding textarea").fill("消防通道被占用")
    await pick(page, f"{findings} .unit-picker .el-select >> nth=0", "社区")
    await pick(page, f"{findings} .unit-picker .el-select >> nth=1", "和平社区")
    await page.locator(f"{findings} .el-checkbox").click()
    await page.locator(f"{findings} .finding input[placeholder='督办事项名称']").fill("清理消防通道占用")
    await fill_date(page, f"{findings} .finding .el-date-editor", "2026-11-30")
    await page.locator("[data-test=save-findings]").click()
    await expect(page.locator("[data-test=inspections-table]")).to_contain_text("转督办：清理消防通道占用")
    await screenshot(page, "inspections-office")

    titles: set[str] = set()

    async def both_raised() -> bool:
        found = await month.call("issues", "GET", "/issues", "p-office", params={"community": "c-1", "limit": 200})
        titles.update(i["title"] for i in found["items"])
        return {"制定充电桩安装协调流程", "清理消防通道占用"} <= titles

    assert await poll_until(both_raised, timeout=30), f"the decisions did not become items: {titles}"


async def test_excel_export_and_roster_import(month: Month, console: Console, page: Page, signed_in,
                                              tmp_path) -> None:
    """The office exports the filtered 督办清单 to Excel, downloads the roster template, and an
    Excel roster with a wrong unit is refused with its sheet, row and cell named."""
    from openpyxl import load_workbook

    await as_person(page, console, signed_in, month, "p-office", "/items")
    await pick(page, "[data-test=filter-community]", "和平社区")
    await expect(page.locator("[data-test=items-table] .el-table__row").first).to_be_visible()
    async with page.expect_download() as download_info:
        await page.locator("[data-test=export]").click()
    download = await download_info.value
    exported = tmp_path / "items.xlsx"
    await download.save_as(exported)
    assert download.suggested_filename.endswith(".xlsx")
    listed = await month.call("issues", "GET", "/issues", "p-office", params={"community": "c-1", "limit": 200})
    sheet = load_workbook(exported).active
    rows = [r for r in sheet.iter_rows(values_only=True) if any(v is not None for v in r)]
    titles = {cell for row in rows[1:] for cell in row}
    assert {i["title"] for i in listed["items"]} <= titles, "the export lacks items of the filtered list"
    assert HAN.search(str(rows[0][0])), f"the export's header is not Chinese: {rows[0]}"

    await go(page, console, "/directory")
    async with page.expect_download() as download_info:
        await page.locator("[data-test=template]").click()
    template = tmp_path / "roster.xlsx"
    await (await download_info.value).save_as(template)
    book = load_workbook(template)
    people = book["人员"]
    unit_column = next(c.column for c in people[1] if c.value == "单位编号")
    people.cell(row=2, column=unit_column, value="c-404")
    book.save(template)
    await page.locator("[data-test=roster-upload] input[type=file]").set_input_files(str(template))
    problems = page.locator("[data-test=import-problems]")
    await expect(problems).to_contain_text("第 2 行")
    await expect(problems).to_contain_text("c-404")
    await screenshot(page, "directory-import-refused")
    directory = await month.call("meetings", "GET", "/directory", "p-office")
    assert [c["community_id"] for c in directory["communities"]] == ["c-1"], "a refused roster changed the directory"


async def test_bulletin_page(month: Month, console: Console, page: Page, signed_in, kafka_settings, tmp_path) -> None:
    """周通报: the week of the activity day, shown as notify's own page, downloadable as Word and
    Markdown; a street member signs it, and the office sees who has signed and who has not."""
    week = "2026-W45"
    await request_report(kafka_settings, month.district, week)
    await as_person(page, console, signed_in, month, "p-office", "/bulletins")
    await page.locator(f"[data-week='{week}']").click()
    frame = page.frame_locator("[data-test=bulletin-frame]")
    await expect(frame.locator("body")).to_contain_text("周工作记实通报")
    async with page.expect_download() as download_info:
        await page.locator("[data-test=download-docx]").click()
    word = await download_info.value
    assert word.suggested_filename.endswith(f"{week}.docx")
    saved = tmp_path / "bulletin.docx"
    await word.save_as(saved)
    assert saved.read_bytes()[:2] == b"PK"
    async with page.expect_download() as download_info:
        await page.locator("[data-test=download-markdown]").click()
    assert (await download_info.value).suggested_filename.endswith(f"{week}.md")
    await expect(page.locator("[data-test=acks-unsigned]")).to_contain_text("刘洋")

    await as_person(page, console, signed_in, month, "p-org", "/bulletins")
    await page.locator(f"[data-week='{week}']").click()
    await page.locator("[data-test=sign-bulletin]").click()
    await expect(page.locator(".el-message--success")).to_contain_text("已签收")

    await as_person(page, console, signed_in, month, "p-office", "/bulletins")
    await page.locator(f"[data-week='{week}']").click()
    await expect(page.locator("[data-test=acks-signed]")).to_contain_text("刘洋")
    await expect(page.locator("[data-test=acks-unsigned]")).not_to_contain_text("刘洋")
    await screenshot(page, "bulletins-office")
