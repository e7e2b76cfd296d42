"""The web console's build and the browser its tests drive — what `make setup` does beyond
the Python workspace, and what the browser tests' fixtures call when something is missing.

- `build_console()`: `npm ci` (when node_modules is missing or older than the lock) and
  `npm run build` in web/console, when the sources are newer than dist/ or dist/ is missing.
- `ensure_browser()`: Debian's `chromium` and `fonts-noto-cjk` (Chinese glyphs in screenshots)
  with apt-get when missing; Playwright drives that chromium through `executable_path`
  (Playwright's own browser download is never used).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable, Iterable
from pathlib import Path

from fourx_local.paths import repo_root

CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
APT_PACKAGES = ("chromium", "fonts-noto-cjk")
# What a build depends on besides src/ (a change in any of them means a new build).
BUILD_INPUTS = ("package.json", "package-lock.json", "vite.config.js", "vite.config.ts", "index.html")


class WebSetupError(RuntimeError):
    """One line saying what failed and what to do."""


def console_dir() -> Path:
    return repo_root() / "web" / "console"


def dist_dir() -> Path:
    return console_dir() / "dist"


def _newest(paths: Iterable[Path]) -> float:
    newest = 0.0
    for path in paths:
        if path.is_dir():
            newest = max([newest, *(p.stat().st_mtime for p in path.rglob("*") if p.is_file())])
        elif path.exists():
            newest = max(newest, path.stat().st_mtime)
    return newest


def needs_build(web: Path | None = None) -> bool:
    web = web or console_dir()
    index = web / "dist" / "index.html"
    if not index.exists():
        return True
    sources = [web / "src", web / "public", *(web / name for name in BUILD_INPUTS)]
    return _newest(sources) > index.stat().st_mtime


def _run(cmd: list[str], cwd: Path, say: Callable[[str], None]) -> None:
    say(f"$ {' '.join(cmd)}  (in {cwd})")
    done = subprocess.run(cmd, cwd=cwd, text=True, capture_output=True)
    if done.returncode != 0:
        tail = "\n".join((done.stdout + done.stderr).splitlines()[-30:])
        raise WebSetupError(f"`{' '.join(cmd)}` failed in {cwd} (exit {done.returncode}):\n{tail}")


def build_console(say: Callable[[str], None] = print, *, force: bool = False) -> Path | None:
    """Build web/console into dist/ when needed; None when there is no web/console here."""
    web = console_dir()
    if not (web / "package.json").exists():
        say("web/console is not in this checkout: no web console to build (skipped)")
        return None
    if not force and not needs_build(web):
        say(f"web console is up to date ({web / 'dist'})")
        return web / "dist"
    npm = shutil.which("npm")
    if npm is None:
        raise WebSetupError("npm is not installed: install Node.js 20+ (Debian: apt-get install nodejs npm)")
    lock, modules = web / "package-lock.json", web / "node_modules"
    if not modules.is_dir() or (lock.exists() and lock.stat().st_mtime > modules.stat().st_mtime):
        _run([npm, "ci", "--no-audit", "--no-fund"], web, say)
        modules.touch()
    _run([npm, "run", "build"], web, say)
    if not (web / "dist" / "index.html").exists():
        raise WebSetupError(f"`npm run build` left no {web / 'dist' / 'index.html'}")
    say(f"web console built: {web / 'dist'}")
    return web / "dist"


def chromium_path() -> str | None:
    configured = os.environ.get("FOURX_CHROMIUM")
    if configured:
        return configured if Path(configured).exists() else None
    return next((p for p in CHROMIUM_CANDIDATES if Path(p).exists()), None)


def _fonts_present() -> bool:
    fonts = Path("/usr/share/fonts")
    return fonts.exists() and any(fonts.rglob("NotoSansCJK*"))


def ensure_browser(say: Callable[[str], None] = print) -> str:
    """Debian's chromium and CJK fonts, installed with apt-get where missing; the path."""
    missing = [pkg for pkg, present in (("chromium", chromium_path() is not None),
                                        ("fonts-noto-cjk", _fonts_present())) if not present]
    if not missing:
        path = chromium_path()
        assert path is not None
        say(f"chromium for the browser tests: {path}")
        return path
    apt = shutil.which("apt-get")
    if apt is None:
        raise WebSetupError(f"{', '.join(missing)} missing and no apt-get here: install Chromium and CJK fonts, "
                            "or set FOURX_CHROMIUM to a Chromium binary")
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = [*sudo, apt, "install", "-y", *missing]
    say(f"$ {' '.join(install)}")
    if subprocess.run(install, env=env).returncode != 0:
        # A fresh machine's package lists may be stale or empty: refresh them once and retry.
        say(f"$ {' '.join([*sudo, apt, 'update'])}")
        subprocess.run([*sudo, apt, "update"], env=env, check=False)
        if subprocess.run(install, env=env).returncode != 0:
            raise WebSetupError(f"apt-get could not install {', '.join(missing)}")
    path = chromium_path()
    if path is None:
        raise WebSetupError("chromium installed but not found at /usr/bin/chromium (set FOURX_CHROMIUM)")
    say(f"chromium for the browser tests: {path}")
    return path
