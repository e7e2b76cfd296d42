"""Each service's version, from its own pyproject.toml: the image tag and the value the Kubernetes
overlays and the compose file use. `python3 deploy/versions.py notify` prints one version; with
no argument, `name version` per line. Standard library only (runs before `uv sync`)."""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SERVICES = ("meetings", "issues", "notify")
REGISTRY = "ghcr.io/fourx"


def version(service: str, root: Path = ROOT) -> str:
    return tomllib.loads((root / "services" / service / "pyproject.toml").read_text())["project"]["version"]


def image(service: str, root: Path = ROOT) -> str:
    return f"{REGISTRY}/{service}:{version(service, root)}"


if __name__ == "__main__":
    if len(sys.argv) > 1:
        print(version(sys.argv[1]))
    else:
        for name in SERVICES:
            print(name, version(name))
