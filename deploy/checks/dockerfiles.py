"""An offline Dockerfile linter (hadolint is not available here), over `dockerfile-parse`.

Rules, for every Dockerfile of the project (`services/<name>/Dockerfile`, the compose demo's):
- DF001 every base image is pinned: a tag that is not `latest`, or a digest (ARG defaults are
  resolved; a stage's own name is fine);
- DF002 multi-stage: at least two `FROM` (build tools stay out of the runtime image);
- DF003 the final stage runs as a user that is not root (`USER` after its `FROM`, not root/0);
- DF004 the final stage has a `HEALTHCHECK` — for a service, one that asks `/health`
  (a non-service image may say `HEALTHCHECK NONE`);
- DF005 a service's image never takes another service's code: no `COPY`/`ADD` of
  `services/<other>/…`, of all of `services/`, or of the whole context (`COPY . …`);
- DF006 `ADD` only for local archives: never a URL (fetch in a `RUN` you can pin and check);
- DF007 `CMD`/`ENTRYPOINT` in exec (JSON) form, so signals reach the process;
- DF008 a service image is labelled with its version (`org.opencontainers.image.version`).

    python -m deploy.checks.dockerfiles        # exit 1 on any finding
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from dockerfile_parse import DockerfileParser

ROOT = Path(__file__).resolve().parents[2]
# The three services and the portal (the web console): each image holds its own code only.
SERVICES = ("meetings", "issues", "notify", "portal")
ROOT_USERS = {"root", "0", "root:root", "0:0", "root:0", "0:root"}


@dataclass(frozen=True)
class Finding:
    path: str
    line: int
    rule: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.rule} {self.message}"


def dockerfiles(root: Path = ROOT) -> list[Path]:
    found = [root / "services" / name / "Dockerfile" for name in SERVICES]
    found += sorted((root / "deploy").rglob("*Dockerfile"))
    return [path for path in dict.fromkeys(found)]


def _substitute(value: str, args: dict[str, str]) -> str:
    return re.sub(r"\$\{?(\w+)\}?", lambda m: args.get(m.group(1), m.group(0)), value)


def _pinned(image: str) -> bool:
    if "@sha256:" in image:
        return True
    name = image.rsplit("/", 1)[-1]
    if ":" not in name:
        return False
    return name.split(":", 1)[1] not in ("", "latest")


def lint(path: Path, service: str | None = None, root: Path = ROOT) -> list[Finding]:
    """The findings for one Dockerfile; `service` names the service whose image it builds."""
    shown = str(path.relative_to(root)) if path.is_relative_to(root) else str(path)
    parser = DockerfileParser(str(path))
    findings: list[Finding] = []

    def finding(item: dict, rule: str, message: str) -> None:
        findings.append(Finding(shown, item["startline"] + 1, rule, message))

    instructions = [i for i in parser.structure if i["instruction"] != "COMMENT"]
    global_args: dict[str, str] = {}
    stages: list[list[dict]] = []
    stage_names: set[str] = set()
    for item in instructions:
        if item["instruction"] == "FROM":
            stages.append([item])
            parts = item["value"].split()
            image = _substitute(parts[0], global_args)
            if len(parts) >= 3 and parts[1].upper() == "AS":
                stage_names.add(parts[2])
            if parts[0] not in stage_names and image not in stage_names and not _pinned(image):
                finding(item, "DF001", f"base image {image!r} is not pinned (a tag other than latest, or a digest)")
            if "$" in image:
                finding(item, "DF001", f"base image {parts[0]!r} uses an ARG with no default")
        elif not stages:
            if item["instruction"] == "ARG" and "=" in item["value"]:
                name, default = item["value"].split("=", 1)
                global_args[name.strip()] = default.strip().strip('"')
        else:
            stages[-1].append(item)
    if not stages:
        return [Finding(shown, 1, "DF002", "no FROM")]
    if len(stages) < 2:
        finding(stages[0][0], "DF002", "single-stage build: build in one stage, copy the result into a slim one")

    for stage in stages:
        for item in stage:
            kind, value = item["instruction"], item["value"]
            if kind in ("COPY", "ADD"):
                sources = _sources(value)
                if kind == "ADD" and any(re.match(r"^[a-z]+://", s) for s in sources):
                    finding(item, "DF006", "ADD of a URL: download in a RUN step you can pin and verify")
                if service is not None and "--from=" not in value:
                    for source in sources:
                        clean = source.lstrip("./")
                        if source in (".", "./", "*") or clean in ("services", "services/", "services/*"):
                            finding(item, "DF005", f"copies {source!r}: every service's code would go in")
                        match = re.match(r"services/([^/]+)", clean)
                        if match and match.group(1) != service:
                            finding(item, "DF005", f"copies another service's code: {source!r}")
            if kind in ("CMD", "ENTRYPOINT"):
                try:
                    ok = isinstance(json.loads(value), list)
                except json.JSONDecodeError:
                    ok = False
                if not ok:
                    finding(item, "DF007", f"{kind} in shell form: use the exec form [\"...\"]")

    final = stages[-1]
    users = [i for i in final if i["instruction"] == "USER"]
    if not users:
        finding(final[0], "DF003", "the final stage sets no USER: it would run as root")
    elif users[-1]["value"].strip() in ROOT_USERS:
        finding(users[-1], "DF003", f"the final stage runs as {users[-1]['value'].strip()!r}")
    checks = [i for i in final if i["instruction"] == "HEALTHCHECK"]
    if not checks:
        finding(final[0], "DF004", "the final stage has no HEALTHCHECK")
    elif service is not None and "/health" not in checks[-1]["value"]:
        finding(checks[-1], "DF004", "a service's HEALTHCHECK must ask its /health")
    if service is not None:
        labels = " ".join(i["value"] for i in final if i["instruction"] == "LABEL")
        if "org.opencontainers.image.version" not in labels:
            finding(final[0], "DF008", "no org.opencontainers.image.version label (the service's own version)")
    return findings


def _sources(value: str) -> list[str]:
    value = value.strip()
    if value.startswith("["):
        try:
            parts = json.loads(value)
        except json.JSONDecodeError:
            parts = value.split()
    else:
        parts = value.split()
    parts = [p for p in parts if not p.startswith("--")]
    return parts[:-1]


def service_of(path: Path, root: Path = ROOT) -> str | None:
    relative = path.relative_to(root) if path.is_relative_to(root) else path
    parts = relative.parts
    return parts[1] if len(parts) == 3 and parts[0] == "services" else None


def check(root: Path = ROOT) -> tuple[list[Path], list[Finding]]:
    files = dockerfiles(root)
    findings: list[Finding] = []
    for path in files:
        if not path.exists():
            findings.append(Finding(str(path.relative_to(root)), 0, "DF000", "missing"))
            continue
        findings += lint(path, service_of(path, root), root)
    return files, findings


def main() -> int:
    files, findings = check()
    for finding in findings:
        print(f"dockerfiles: {finding}")
    print(f"dockerfiles: {len(files)} linted, {len(findings)} findings")
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
