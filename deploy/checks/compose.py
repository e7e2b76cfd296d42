"""Check `deploy/compose/compose.yaml` offline (no Docker engine, no `docker compose config`).

- the file parses (YAML with merge keys, as compose reads it) and has only known top-level keys;
- every service has a pinned image (not `latest`) or a build whose context and Dockerfile exist;
  the three fourx services are built from their own Dockerfiles and tagged with their own
  version (deploy/versions.py), which is also the VERSION build argument;
- `depends_on` names existing services, with no cycle; `service_healthy` only on a service with
  a health check (its own, or its image's Dockerfile `HEALTHCHECK`), and
  `service_completed_successfully` only on a one-shot (`restart: "no"`);
- `network_mode: service:X` names an existing service; named volumes are declared; bind-mounted
  files exist; no two services publish the same host port;
- 3 Kafka nodes (`apache/kafka` 4.x) with distinct NODE_IDs, a MongoDB replica set (`--replSet`),
  and a topics/ACL init job;
- every `${VAR}` without a default is listed in `.env.example`; every variable given to a fourx
  service is one its settings read (deploy/checks/envnames.py), and its Kafka principal is its own.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from deploy import versions
from deploy.checks import envnames

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "deploy" / "compose" / "compose.yaml"
TOP_LEVEL = {"name", "services", "volumes", "networks", "configs", "secrets", "include"}
CONDITIONS = {"service_started", "service_healthy", "service_completed_successfully"}
_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(:?[-?+][^}]*)?\}")


def _environment(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        return dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
    return {str(k): "" if v is None else str(v) for k, v in env.items()}


def _depends(service: dict[str, Any]) -> dict[str, str]:
    deps = service.get("depends_on") or {}
    if isinstance(deps, list):
        return {name: "service_started" for name in deps}
    return {name: (spec or {}).get("condition", "service_started") for name, spec in deps.items()}


def _dockerfile_has_healthcheck(path: Path) -> bool:
    lines = [line.strip() for line in path.read_text().splitlines()]
    checks = [line for line in lines if line.upper().startswith("HEALTHCHECK")]
    return bool(checks) and checks[-1].split()[1].upper() != "NONE"


def _image_pinned(image: str) -> bool:
    if "@sha256:" in image:
        return True
    last = image.rsplit("/", 1)[-1]
    return ":" in last and last.split(":", 1)[1] not in ("", "latest")


def check(path: Path = COMPOSE, base: Path | None = None) -> list[str]:
    """The errors of a compose file; `base` is the folder its relative paths start from
    (default: the file's own, as compose does)."""
    errors: list[str] = []
    base = base or path.parent
    try:
        doc = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        return [f"{path.name}: not YAML: {exc}"]
    if not isinstance(doc, dict) or not isinstance(doc.get("services"), dict):
        return [f"{path.name}: no services"]
    for key in doc:
        if key not in TOP_LEVEL and not str(key).startswith("x-"):
            errors.append(f"top-level key {key!r} is not compose's")
    services: dict[str, dict[str, Any]] = doc["services"]
    volumes = set((doc.get("volumes") or {}).keys())
    env_example = base / ".env.example"
    documented = set(re.findall(r"^([A-Z_][A-Z0-9_]*)=", env_example.read_text(), re.M)) if env_example.exists() else set()
    for match in _VAR.finditer(path.read_text()):
        if not match.group(2) and match.group(1) not in documented:
            errors.append(f"${{{match.group(1)}}} has no default and is not in .env.example")

    healthy: dict[str, bool] = {}
    ports: dict[str, str] = {}
    for name, svc in services.items():
        where = f"service {name}"
        if not isinstance(svc, dict):
            errors.append(f"{where}: not a mapping")
            continue
        image, build = svc.get("image"), svc.get("build")
        if not image and not build:
            errors.append(f"{where}: neither image nor build")
        if image and not build and not _image_pinned(image):
            errors.append(f"{where}: image {image!r} is not pinned")
        dockerfile = None
        if build:
            context = base / (build if isinstance(build, str) else build.get("context", "."))
            dockerfile = context / (build.get("dockerfile", "Dockerfile") if isinstance(build, dict) else "Dockerfile")
            if not context.is_dir():
                errors.append(f"{where}: build context {context} does not exist")
            elif not dockerfile.is_file():
                errors.append(f"{where}: Dockerfile {dockerfile} does not exist")
                dockerfile = None
        test = (svc.get("healthcheck") or {}).get("test")
        disabled = (svc.get("healthcheck") or {}).get("disable") or test in (["NONE"], "NONE")
        healthy[name] = not disabled and bool(test or (dockerfile and _dockerfile_has_healthcheck(dockerfile)))
        for mount in svc.get("volumes") or []:
            source = mount.split(":", 1)[0] if isinstance(mount, str) else (mount or {}).get("source", "")
            if source.startswith((".", "/")):
                if not (base / source).exists():
                    errors.append(f"{where}: bind mount {source} does not exist")
            elif source and source not in volumes:
                errors.append(f"{where}: volume {source!r} is not declared")
        for port in svc.get("ports") or []:
            host = str(port).rsplit(":", 1)[0] if ":" in str(port) else str(port)
            if host in ports:
                errors.append(f"{where}: host port {host} already published by {ports[host]}")
            ports[host] = name
        mode = svc.get("network_mode", "")
        if mode.startswith("service:") and mode.split(":", 1)[1] not in services:
            errors.append(f"{where}: network_mode names no service: {mode}")

    for name, svc in services.items():
        for dep, condition in _depends(svc).items():
            if dep not in services:
                errors.append(f"service {name}: depends on {dep!r}, which is not a service")
                continue
            if condition not in CONDITIONS:
                errors.append(f"service {name}: depends_on {dep} with unknown condition {condition!r}")
            if condition == "service_healthy" and not healthy.get(dep):
                errors.append(f"service {name}: waits for {dep} to be healthy, but {dep} has no health check")
            if condition == "service_completed_successfully" and str(services[dep].get("restart", "no")) != "no":
                errors.append(f"service {name}: waits for {dep} to complete, but {dep} restarts (not a one-shot)")
    errors += _cycles(services)

    for service in versions.SERVICES:
        svc = services.get(service)
        if svc is None:
            errors.append(f"no {service} service")
            continue
        want = versions.version(service)
        build = svc.get("build") or {}
        if not isinstance(build, dict) or build.get("dockerfile") != f"services/{service}/Dockerfile":
            errors.append(f"service {service}: not built from services/{service}/Dockerfile")
        elif str((build.get("args") or {}).get("VERSION")) != want:
            errors.append(f"service {service}: build arg VERSION is not its version {want}")
        if svc.get("image") != f"{versions.REGISTRY}/{service}:{want}":
            errors.append(f"service {service}: image {svc.get('image')!r} is not {versions.REGISTRY}/{service}:{want}")
        env = _environment(svc)
        for unknown in envnames.unknown(service, env):
            errors.append(f"service {service}: sets {unknown}, which no setting of {service} reads")
        if env.get("KAFKA_USERNAME") != service:
            errors.append(f"service {service}: KAFKA_USERNAME is {env.get('KAFKA_USERNAME')!r}, not its own principal")
        for required in ("KAFKA_BOOTSTRAP", "MONGO_URI"):
            if required not in env:
                errors.append(f"service {service}: no {required}")
        if not healthy.get(service):
            errors.append(f"service {service}: no health check")

    portal = services.get("portal")
    if portal is None:
        errors.append("no portal service (the web console)")
    else:
        env = _environment(portal)
        for unknown in envnames.unknown("portal", env):
            errors.append(f"service portal: sets {unknown}, which no setting of the portal reads")
        if env.get("KAFKA_USERNAME") != "portal":
            errors.append(f"service portal: KAFKA_USERNAME is {env.get('KAFKA_USERNAME')!r}, not its own principal")
        if not healthy.get("portal"):
            errors.append("service portal: no health check")

    kafka = {n: s for n, s in services.items() if str(s.get("image", "")).startswith("apache/kafka:")}
    if len(kafka) != 3:
        errors.append(f"{len(kafka)} Kafka nodes (apache/kafka), not 3")
    for name, svc in kafka.items():
        if not re.match(r"^apache/kafka:4\.", svc["image"]):
            errors.append(f"service {name}: {svc['image']} is not Kafka 4.x")
    node_ids = [_environment(s).get("NODE_ID") for s in kafka.values()]
    if len(set(node_ids)) != len(node_ids):
        errors.append(f"Kafka NODE_IDs repeat: {node_ids}")
    mongo = [n for n, s in services.items() if str(s.get("image", "")).startswith("mongo:")
             and "--replSet" in " ".join(map(str, s.get("command") or []))]
    if not mongo:
        errors.append("no MongoDB replica set (a mongo service run with --replSet)")
    if not any("kafka-acls" in " ".join(map(str, s.get("command") or [])) for s in services.values()):
        errors.append("no topics/ACL init job (fourx-dev kafka-acls --apply)")
    return errors


def _cycles(services: dict[str, dict[str, Any]]) -> list[str]:
    state: dict[str, int] = {}
    found: list[str] = []

    def visit(name: str, trail: list[str]) -> None:
        if state.get(name) == 2 or name not in services:
            return
        if state.get(name) == 1:
            found.append(f"depends_on cycle: {' → '.join(trail[trail.index(name):] + [name])}")
            return
        state[name] = 1
        for dep in _depends(services[name]):
            visit(dep, trail + [name])
        state[name] = 2

    for name in services:
        visit(name, [])
    return found


def main() -> int:
    errors = check()
    for error in errors:
        print(f"compose: {error}")
    print(f"compose: {COMPOSE.relative_to(ROOT)}: {len(errors)} errors")
    return 1 if errors else 0


if __name__ == "__main__":
    raise SystemExit(main())
