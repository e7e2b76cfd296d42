"""Issue 15's pages in Chromium over the real stack: a member makes a suggestion and the office
adopts it (with a supervision item) or declines it; the office reads the 工作成效 figures for a
period and downloads the 工作总结 (.docx, opened with python-docx); a city person signs in,
sees the city's districts side by side, their league and trend, no district page, and a
Chinese refusal for a district of another city.

One city for the module: two districts of it (the first is where the suggestions are made)
and one district of another city. The tests run in file order and build on each other."""

from __future__ import annotations

import io
import uuid
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import pytest_asyncio
from docx import Document
from fourx_contracts.vocabulary import OUTCOME_FIGURE_LABELS, OUTCOME_FIGURES
from fourx_platform.auth import issue_token
from fourx_platform.loops import poll_until
from playwright.async_api import Page, expect

from tests.browser.conftest import Console, import_directory, screenshot
from tests.browser.test_flow_pages import HAN, english_words, fill_date, go, pick

pytestmark = pytest.mark.integration

DIRECTORY_YAML = """\
district_name: {name}
city: {city}
streets:
  - {{street_id: s-1, name: 东城街道}}
communities:
  - {{community_id: c-1, street_id: s-1, name: 和平社区}}
departments:
  - {{department_id: d-civil, name: 区民政局}}
people:
  - {{person_id: p-sec, name: 张伟, roles: [community_secretary], unit: {{kind: community, id: c-1}}}}
  - {{person_id: p-head, name: 孙丽, roles: [org_deputy_head], unit: {{kind: district, id: office}}}}
  - {{person_id: p-office, name: 周敏, roles: [party_office], unit: {{kind: district, id: office}}}}
"""
ROLES = {"p-sec": ["community_secretary"], "p-head": ["org_deputy_head"], "p-office": ["party_office"]}
TODAY = "2026-11-06"
ADOPTED = "建议建立小区停车共享机制"
DECLINED = "建议每周召开两次集中活动日"
ITEM = "推动和平社区停车共享试点"
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@dataclass
class City:
    """The module's city: its districts (the first takes the suggestions) and another city's."""

    city: str
    first: str
    second: str
    other_city: str
    other: str
    services: dict[str, str]
    meeting_id: str = ""

    def headers(self, person_id: str, district: str | None = None) -> dict[str, str]:
        roles = ROLES.get(person_id, ["platform_admin"])
        return {"Authorization": f"Bearer {issue_token(person_id, district or self.first, roles)}"}

    def city_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {issue_token('p-city', None, ['city_org_dept'], city=self.city)}"}

    async def get(self, service: str, path: str, headers: dict[str, str], **kw: Any) -> httpx.Response:
        async with httpx.AsyncClient(base_url=self.services[service], timeout=30) as client:
            return await client.get(path, headers=headers, **kw)

    async def call(self, service: str, method: str, path: str, person_id: str, district: str | None = None,
                   **kw: Any) -> Any:
        async with httpx.AsyncClient(base_url=self.services[service], timeout=30) as client:
            answer = await client.request(method, f"/districts/{district or self.first}{path}",
                                          headers=self.headers(person_id, district), **kw)
        assert answer.status_code < 300, f"{method} {path}: {answer.status_code} {answer.text}"
        return answer.json() if answer.content else None


@pytest_asyncio.fixture(scope="module")
async def city(console: Console) -> City:
    tag = f"{uuid.uuid4().int % 10**8:08d}"  # digits: no Latin word for the no-English walks
    found = City(f"ct-{tag}", f"oa-{tag}", f"ob-{tag}", f"cx-{tag}", f"oc-{tag}", console.services)
    for district, in_city, name in ((found.first, found.city, "晋安区"), (found.second, found.city, "仓山区"),
                                    (found.other, found.other_city, "思明区")):
        await import_directory(console, district, DIRECTORY_YAML.format(name=name, city=in_city))
        await found.call("meetings", "PUT", "/clock", "ops", district, json={"today": TODAY})
    day = await found.call("meetings", "POST", "/activity-days/schedule", "p-office", json={"month": "2026-11"})
    found.meeting_id = day["meeting_id"]

    async def notify_knows_the_city() -> bool:
        answer = await found.get("notify", f"/cities/{found.city}/districts", found.city_headers())
        return answer.status_code == 200 and len(answer.json()["districts"]) == 2

    assert await poll_until(notify_knows_the_city, timeout=60), "notify never listed the city's two districts"
    return found


async def as_person(page: Page, console: Console, signed_in, city: City, person_id: str, path: str) -> None:
    await page.context.clear_cookies()
    await signed_in(page, person_id, city.first, path)
    await page.wait_for_load_state("networkidle")


async def test_a_member_suggests_and_the_office_decides(city: City, console: Console, page: Page, signed_in) -> None:
    """The community secretary hands in two suggestions; the office adopts one into a work
    requirement and a supervision item (which reaches the 督办清单) and declines the other."""
    await as_person(page, console, signed_in, city, "p-sec", "/suggestions")
    for title, text, at_day in ((ADOPTED, "老旧小区停车难，建议与周边单位错时共享车位。", True),
                                (DECLINED, "活动日频次加密，便于及时交流。", False)):
        await page.locator("[data-test=suggestion-title]").fill(title)
        await page.locator("[data-test=suggestion-text]").fill(text)
        if at_day:  # made at November's activity day
            await pick(page, "[data-test=suggestion-day]", "集中活动日")
        await page.locator("[data-test=suggestion-submit]").click()
        row = page.locator("[data-test=suggestions-table] .el-table__row", has_text=title)
        await expect(row).to_contain_text("待研究")
        await expect(row).to_contain_text("和平社区")
    # A member has no say in the decision.
    await expect(page.locator("[data-test=adopt]")).to_have_count(0)
    await screenshot(page, "suggestions-member")

    await as_person(page, console, signed_in, city, "p-office", "/suggestions")
    row = page.locator("[data-test=suggestions-table] .el-table__row", has_text=ADOPTED)
    await row.locator("[data-test=adopt]").click()
    await page.locator("[data-test=adopt-requirement]").fill("各社区摸排可共享车位，形成清单。")
    await page.locator("[data-test=adopt-with-item]").click()
    await page.locator("[data-test=adopt-item-title]").fill(ITEM)
    await pick(page, ".el-dialog .unit-picker .el-select >> nth=0", "社区")
    await pick(page, ".el-dialog .unit-picker .el-select >> nth=1", "和平社区")
    await fill_date(page, ".el-dialog .el-date-editor", "2026-12-31")
    await screenshot(page, "suggestions-adopt")
    await page.locator("[data-test=adopt-confirm]").click()
    await expect(row).to_contain_text("已采纳")

    declined = page.locator("[data-test=suggestions-table] .el-table__row", has_text=DECLINED)
    await declined.locator("[data-test=decline]").click()
    await page.locator("[data-test=decline-reason]").fill("每月一次集中活动日已能满足交流需要。")
    await page.locator("[data-test=decline-confirm]").click()
    await expect(declined).to_contain_text("未采纳")
    await declined.locator(".el-table__expand-icon").click()
    await expect(page.locator(".suggestion-detail", has_text="每月一次")).to_be_visible()
    await screenshot(page, "suggestions-office")

    stored = {s["title"]: s for s in await city.call("meetings", "GET", "/suggestions", "p-office")}
    assert (stored[ADOPTED]["status"], stored[ADOPTED]["meeting_id"]) == ("adopted", city.meeting_id)
    assert stored[DECLINED]["meeting_id"] is None
    assert stored[ADOPTED]["supervision"] == {"title": ITEM, "responsible": {"kind": "community", "id": "c-1"},
                                              "due_date": "2026-12-31"}
    assert (stored[DECLINED]["status"], stored[DECLINED]["reason"]) == ("declined", "每月一次集中活动日已能满足交流需要。")

    async def item_raised() -> bool:
        listed = await city.call("issues", "GET", "/issues", "p-office", params={"limit": 200})
        return any(i["title"] == ITEM for i in listed["items"])

    assert await poll_until(item_raised, timeout=30), "the adopted suggestion's supervision item never reached issues"
    await go(page, console, "/items")
    await expect(page.locator("[data-test=items-table]")).to_contain_text(ITEM)


async def test_the_office_reads_the_figures_and_downloads_the_summary(city: City, console: Console, page: Page,
                                                                      signed_in, tmp_path) -> None:
    async def counted() -> dict[str, Any] | None:
        view = await city.call("notify", "GET", "/outcomes", "p-office", params={"period": "2026-11"})
        figures = view["figures"]
        return view if (figures["suggestions_made"], figures["suggestions_adopted"]) == (2, 1) else None

    assert await poll_until(counted, timeout=30), "notify never counted the two suggestions"
    view = await counted()
    assert view is not None

    await as_person(page, console, signed_in, city, "p-office", "/outcomes")
    await expect(page.locator(".side-menu")).to_contain_text("工作成效")
    await page.locator("[data-test=period-kind] label", has_text="月").first.click()
    await pick(page, "[data-test=period-year]", "2026 年")
    await pick(page, "[data-test=period-month]", "11 月")
    table = page.locator("[data-test=outcomes-table]")
    await expect(page.locator("[data-test=outcomes-range]")).to_contain_text("2026-11-01")
    for key in OUTCOME_FIGURES:
        await expect(table).to_contain_text(OUTCOME_FIGURE_LABELS[key])
        await expect(table.locator(f"[data-figure={key}]")).to_have_text(str(view["figures"][key]))
    await screenshot(page, "outcomes-office")

    async with page.expect_download() as download_info:
        await page.locator("[data-test=summary-download]").click()
    download = await download_info.value
    assert download.suggested_filename.endswith(".docx") and "工作总结" in download.suggested_filename
    saved = tmp_path / "summary.docx"
    await download.save_as(saved)
    text = "\n".join([p.text for p in Document(str(saved)).paragraphs]
                     + [c.text for t in Document(str(saved)).tables for r in t.rows for c in r.cells])
    assert "晋安区" in text, text[:500]
    assert HAN.search(text)
    # The same document the service renders for the period (the page passes the picked period).
    async with httpx.AsyncClient(base_url=city.services["notify"], timeout=30) as client:
        direct = await client.get(f"/districts/{city.first}/outcomes/summary.docx", params={"period": "2026-11"},
                                  headers=city.headers("p-office"))
    assert direct.headers["content-type"].startswith(DOCX_TYPE)
    direct_doc = Document(io.BytesIO(direct.content))
    assert [p.text for p in direct_doc.paragraphs] == [p.text for p in Document(str(saved)).paragraphs]

    # The year and the quarter are periods too.
    await page.locator("[data-test=period-kind] label", has_text="季度").first.click()
    await pick(page, "[data-test=period-quarter]", "第四季度")
    await expect(page.locator("[data-test=outcomes-range]")).to_contain_text("2026-10-01")
    await expect(table.locator("[data-figure=suggestions_made]")).to_have_text("2")

    # A community secretary has no 工作成效 in the menu, and its address says whose page it is.
    await as_person(page, console, signed_in, city, "p-sec", "/suggestions")
    await expect(page.locator(".side-menu")).not_to_contain_text("工作成效")
    await go(page, console, "/outcomes")
    await expect(page.locator("[data-test=outcomes-not-office]")).to_contain_text("区委党建办")
    await expect(page.locator("[data-test=summary-download]")).to_have_count(0)


async def test_a_city_person_sees_the_city_and_nothing_else(city: City, console: Console, page: Page) -> None:
    await page.context.clear_cookies()
    await go(page, console, "/login")
    await pick(page, "[data-test=city-select]", city.city)
    await page.locator("[data-test=city-person]").fill("p-city")
    await screenshot(page, "city-sign-in")
    await page.locator("[data-test=city-login]").click()
    await page.wait_for_url(f"{console.url}/city")
    await expect(page.locator('[data-test="who"]')).to_contain_text("市委组织部")

    # Only the city level in the menu: no district page.
    menu = page.locator(".side-menu .el-menu-item")
    await expect(menu).to_have_count(1)
    await expect(menu).to_have_text("市级总览")

    compare = page.locator("[data-test=city-compare]")
    await expect(compare).to_contain_text("晋安区")
    await expect(compare).to_contain_text("仓山区")
    await expect(compare).not_to_contain_text("思明区")
    for label in OUTCOME_FIGURE_LABELS.values():
        await expect(compare).to_contain_text(label)
    await screenshot(page, "city-compare")
    if words := await english_words(page, city.city, city.first, city.second, "p-city"):
        pytest.fail(f"English on the city overview: {words}")

    await page.locator(".el-tabs__item", has_text="区排名").click()
    league = page.locator("[data-test=city-league] .el-table__row")
    await expect(league).to_have_count(2)
    await screenshot(page, "city-league")
    await page.locator(".el-tabs__item", has_text="月度趋势").click()
    await expect(page.locator("[data-test=city-trend] .el-table__row")).to_have_count(12)
    await screenshot(page, "city-trend")

    # One district of the city, then one of another city: refused in Chinese.
    await page.locator(".el-tabs__item", has_text="各区对比").click()
    await compare.locator("[data-test=district-link]", has_text="晋安区").click()
    await expect(page.locator("[data-test=outcomes-table]")).to_contain_text("提出意见建议")
    await go(page, console, f"/city/districts/{city.other}")
    refusal = page.locator("[data-test=city-error]")
    await expect(refusal).to_be_visible()
    message = await refusal.inner_text()
    assert HAN.search(message) and "不属于" in message, message
    await screenshot(page, "city-refused")
    if words := await english_words(page, city.city, city.other, "p-city"):
        pytest.fail(f"English on the city's refusal: {words}")

    # District pages send a city person back to the city overview.
    for path in ("/", "/items", "/outcomes", "/suggestions"):
        await go(page, console, path)
        await page.wait_for_url(f"{console.url}/city")
