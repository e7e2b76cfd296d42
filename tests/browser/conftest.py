"""Browser tests: Chromium (Debian's, driven by Playwright's async API) against the real
stack — the suite's Kafka and store, the three services (the session fixtures of
tests/conftest.py) and the portal with the built web console, each served by uvicorn on a
loopback port on the suite's event loop (so tests are `async def` and await Playwright).

Fixtures and helpers for every browser test (the pages' tests use them too):
- `console`: where the portal answers (`console.url`), the portal object, the services' URLs;
- `page`: a fresh browser context (zh-CN, 1280×800) and its page; `phone_page`: 390×844;
- `signed_in(page, person_id, district)`: the dev sign-in (`/login?as=…`), landing on the app;
- `screenshot(page, name)`: saves `.fourx/screenshots/<name>.png` under the checkout;
- `directory_district`: a fresh district with the test directory imported (meetings) and
  visible to the dev sign-in.
If web/console/dist is missing or stale it is built (npm ci + build); if Chromium is missing
the session fails with what to run (`make setup`, which `make test` runs first).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import httpx
import pytest
import pytest_asyncio
from fourx_issues.bootstrap import IssuesService
from fourx_issues.bootstrap import create_app as issues_app
from fourx_local.paths import repo_root
from fourx_local.webapp import WebSetupError, build_console, chromium_path
from fourx_meetings.bootstrap import MeetingsService
from fourx_meetings.bootstrap import create_app as meetings_app
from fourx_notify.bootstrap import NotifyService
from fourx_notify.bootstrap import create_app as notify_app
from fourx_platform.auth import TokenVerifier, issue_token
from fourx_platform.kafka import KafkaSettings
from fourx_platform.loops import poll_until
from fourx_portal.bootstrap import Portal, build_portal
from fourx_portal.settings import PortalSettings
from playwright.async_api import Browser, Page, async_playwright
from playwright.async_api import TimeoutError as PlaywrightTimeout

from tests.support.servers import serve
from tests.unit.meetings.fixtures import DIRECTORY_YAML

pytestmark = pytest.mark.integration

SCREENSHOTS = repo_root() / ".fourx" / "screenshots"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


@dataclass
class Console:
    url: str
    portal: Portal
    services: dict[str, str] = field(default_factory=dict)

    def login_url(self, person_id: str, district: str, next_path: str = "/") -> str:
        return f"{self.url}/login?{urlencode({'as': person_id, 'district': district, 'next': next_path})}"


@pytest.fixture(scope="session")
def web_dist() -> Path:
    try:
        built = build_console(lambda message: print(f"[web console] {message}"))
    except WebSetupError as exc:
        pytest.fail(f"building the web console failed: {exc}")
    if built is None:
        pytest.fail("web/console is missing from this checkout: the browser tests need the web console")
    return built


@pytest.fixture(scope="session")
def chromium() -> str:
    path = chromium_path()
    if path is None:
        pytest.fail("Chromium is not installed (/usr/bin/chromium): run `make setup` "
                    "(it installs Debian's chromium and fonts-noto-cjk), or set FOURX_CHROMIUM")
    return path


@pytest_asyncio.fixture(scope="session")
async def console(web_dist: Path, meetings: MeetingsService, issues: IssuesService, notify: NotifyService,
                  kafka_as: Callable[[str], KafkaSettings]) -> AsyncIterator[Console]:
    """The services over HTTP and the portal in front of them, in dev mode as the local stack
    runs it (the suite's own signing key, FOURX_AUTH_… set by tests/conftest.py)."""
    async with serve(meetings_app(meetings)) as meetings_url, serve(issues_app(issues)) as issues_url, \
            serve(notify_app(notify)) as notify_url:
        settings = PortalSettings(static_dir=web_dist, meetings_url=meetings_url, issues_url=issues_url,
                                  notify_url=notify_url, heartbeat_seconds=5.0)
        portal = build_portal(settings, kafka_as("portal"), TokenVerifier(), dev=True)
        await portal.start()
        try:
            await asyncio.wait_for(portal.events.ready.wait(), 60)
            assert portal.directories is not None
            await asyncio.wait_for(portal.directories.ready.wait(), 60)
            async with serve(_portal_app(portal)) as url:
                yield Console(url, portal, {"meetings": meetings_url, "issues": issues_url, "notify": notify_url})
        finally:
            await portal.stop()


def _portal_app(portal: Portal):
    from fourx_portal.bootstrap import create_app

    return create_app(portal)


@pytest_asyncio.fixture(scope="session")
async def browser(chromium: str) -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        # --no-sandbox: the suite may run as root (containers, CI), where Chromium's sandbox refuses.
        launched = await playwright.chromium.launch(executable_path=chromium, headless=True,
                                                    args=["--no-sandbox", "--disable-dev-shm-usage"])
        try:
            yield launched
        finally:
            await launched.close()


async def _page(browser: Browser, viewport: dict[str, int]) -> AsyncIterator[Page]:
    context = await browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", viewport=viewport)
    context.set_default_timeout(15_000)
    page = await context.new_page()
    try:
        yield page
    finally:
        await context.close()


@pytest_asyncio.fixture
async def page(browser: Browser) -> AsyncIterator[Page]:
    async for opened in _page(browser, DESKTOP):
        yield opened


@pytest_asyncio.fixture
async def phone_page(browser: Browser) -> AsyncIterator[Page]:
    """A phone's screen (390×844), as a community secretary holds it."""
    async for opened in _page(browser, PHONE):
        yield opened


@pytest.fixture
def signed_in(console: Console) -> Callable[..., Awaitable[None]]:
    """`await signed_in(page, person_id, district[, next_path])`: the dev sign-in, then the app."""

    async def sign_in(page: Page, person_id: str, district: str, next_path: str = "/") -> None:
        response = await page.goto(console.login_url(person_id, district, next_path))
        assert response is not None and response.ok, f"sign-in as {person_id} failed: {response and response.status}"
        # Signed in once the app's header names the person (from /api/me). Not "networkidle":
        # a page holding the event stream open is never idle.
        await page.locator('[data-test="who"]').wait_for()

    return sign_in


async def screenshot(page: Page, name: str) -> Path:
    """The page as the user sees it, saved as `.fourx/screenshots/<name>.png`."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    # What the user sees once the data is in: no loading mask left (bounded; a page that
    # keeps one is shown as it is).
    try:
        await page.locator(".el-loading-mask").first.wait_for(state="hidden", timeout=10_000)
    except PlaywrightTimeout:
        pass
    await page.screenshot(path=str(path), full_page=True)
    return path


@pytest.fixture(name="screenshot")
def screenshot_fixture() -> Callable[[Page, str], Awaitable[Path]]:
    return screenshot


async def import_directory(console: Console, district: str, yaml_text: str = DIRECTORY_YAML) -> None:
    """The district's directory, imported by its office through meetings, and seen by the
    portal's dev sign-in (it reads the `directory-updated` topic)."""
    token = issue_token("p-office", district, ["party_office"])
    async with httpx.AsyncClient(base_url=console.services["meetings"], timeout=30) as client:
        answer = await client.put(f"/districts/{district}/directory", content=yaml_text.encode(),
                                  headers={"Authorization": f"Bearer {token}", "Content-Type": "application/yaml"})
        assert answer.status_code == 200, answer.text
    directories = console.portal.directories
    assert directories is not None
    async def seen() -> bool:
        return directories.directory(district) is not None

    assert await poll_until(seen, timeout=30), f"the portal did not see {district}'s directory within 30 s"


def browser_district() -> str:
    """A fresh district id with no Latin word in it (digits): pages checked for English
    text may show other districts' ids."""
    return f"br-{uuid.uuid4().int % 10**12:012d}"


@pytest_asyncio.fixture
async def directory_district(console: Console) -> str:
    district = browser_district()
    await import_directory(console, district)
    return district
