"""`make setup`'s web part: build the console only when needed, skip cleanly without it."""

from __future__ import annotations

import os
import time

from fourx_local import webapp


def test_without_web_console_the_build_is_skipped_with_a_message(tmp_path, monkeypatch):
    monkeypatch.setattr(webapp, "console_dir", lambda: tmp_path / "web" / "console")
    said: list[str] = []
    assert webapp.build_console(said.append) is None
    assert said == ["web/console is not in this checkout: no web console to build (skipped)"]


def test_a_build_is_needed_when_dist_is_missing_or_older_than_a_source(tmp_path):
    web = tmp_path / "console"
    (web / "src" / "pages").mkdir(parents=True)
    (web / "package.json").write_text("{}")
    page = web / "src" / "pages" / "HomePage.vue"
    page.write_text("<template>工作台</template>")
    assert webapp.needs_build(web)  # no dist yet
    (web / "dist").mkdir()
    index = web / "dist" / "index.html"
    index.write_text("<!doctype html>")
    past = time.time() - 60
    os.utime(page, (past, past))
    os.utime(web / "package.json", (past, past))
    assert not webapp.needs_build(web)
    page.write_text("<template>工作台（改）</template>")  # a page changed after the build
    assert webapp.needs_build(web)


def test_up_to_date_dist_is_not_rebuilt(tmp_path, monkeypatch):
    web = tmp_path / "console"
    (web / "dist").mkdir(parents=True)
    (web / "package.json").write_text("{}")
    past = time.time() - 60
    os.utime(web / "package.json", (past, past))
    (web / "dist" / "index.html").write_text("<!doctype html>")
    monkeypatch.setattr(webapp, "console_dir", lambda: web)
    monkeypatch.setattr(webapp, "_run", lambda *a: (_ for _ in ()).throw(AssertionError("npm must not run")))
    said: list[str] = []
    assert webapp.build_console(said.append) == web / "dist"
    assert said[0].startswith("web console is up to date")
