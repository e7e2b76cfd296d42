from __future__ import annotations

import os
from pathlib import Path


def repo_root() -> Path:
    """The checkout this package was installed from (uv installs workspace members editable)."""
    here = Path(__file__).resolve()
    for parent in here.parents:
        if (parent / "deploy" / "kafka" / "pom.xml").exists():
            return parent
    raise RuntimeError(f"cannot find the fourx checkout above {here}")


def cache_dir() -> Path:
    """Downloaded artifacts (the Kafka jars) live outside the source tree."""
    base = os.environ.get("FOURX_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "fourx"
    )
    path = Path(base)
    path.mkdir(parents=True, exist_ok=True)
    return path


def state_dir() -> Path:
    """Data folders, logs and pid files of `make up`; kept across restarts, ignored by git."""
    path = Path(os.environ.get("FOURX_STATE_DIR") or repo_root() / ".fourx")
    path.mkdir(parents=True, exist_ok=True)
    return path
