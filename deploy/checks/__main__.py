"""`make deploy-check`: every offline deployment check, one verdict.

1. render the Kubernetes manifests of every overlay (deploy/k8s/render.py) and validate each
   object: Kubernetes' kinds with kubernetes-validate, Strimzi's and KEDA's with their vendored
   CRD schemas (deploy/checks/k8s.py); every variable a Deployment gives a service (directly
   or through its ConfigMaps) must be one the service reads;
2. check the compose file (deploy/checks/compose.py);
3. lint the Dockerfiles (deploy/checks/dockerfiles.py);
4. run the contract check, strict: no breaking change, committed schemas up to date
   (deploy/checks/contract.py).

Ends with exactly one line `deploy-check: N manifests valid, M errors` (N: Kubernetes objects
that passed) and exits 1 when M > 0.

    python -m deploy.checks [--manifests DIR ...]   # DIR: validate these rendered folders instead
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path
from typing import Any, Callable

import yaml

from deploy.checks import compose, contract, dockerfiles, envnames, k8s

ROOT = Path(__file__).resolve().parents[2]


def _env_findings(directory: Path) -> list[str]:
    """Deployments may only set variables their service reads."""
    objects = [obj for _, obj in k8s.load_manifests(directory) if isinstance(obj, dict)]
    config_maps = {(o["metadata"].get("namespace"), o["metadata"]["name"]): o.get("data") or {}
                   for o in objects if o.get("kind") == "ConfigMap" and o.get("metadata")}
    found = []
    for obj in objects:
        if obj.get("kind") != "Deployment":
            continue
        meta = obj.get("metadata") or {}
        service = (meta.get("labels") or {}).get("app.kubernetes.io/name")
        if service not in envnames.OWN:
            continue
        for container in obj["spec"]["template"]["spec"].get("containers", []):
            names = {e["name"] for e in container.get("env") or [] if isinstance(e, dict) and "name" in e}
            for source in container.get("envFrom") or []:
                ref = (source.get("configMapRef") or {}).get("name")
                if ref is not None:
                    if (meta.get("namespace"), ref) not in config_maps:
                        found.append(f"{directory.name}: Deployment/{meta.get('name')}: ConfigMap {ref} is not rendered")
                    names |= set(config_maps.get((meta.get("namespace"), ref), {}))
            for name in envnames.unknown(service, names):
                found.append(f"{directory.name}: Deployment/{meta.get('name')}: sets {name}, which no setting of "
                             f"{service} reads")
    return found


def run(manifests: list[Path] | None = None, out: Callable[[str], Any] = print) -> int:
    errors: list[str] = []
    valid = 0
    with tempfile.TemporaryDirectory(prefix="fourx-k8s-") as tmp:
        if manifests is None:
            from deploy.k8s import render

            manifests = []
            for overlay in render.overlays():
                target = Path(tmp) / overlay
                render.write(render.render(overlay), target)
                manifests.append(target)
        for directory in manifests:
            count, passed, findings = k8s.validate_directory(directory)
            valid += passed
            errors += [f"k8s: {f}" for f in findings]
            errors += [f"k8s: {line}" for line in _env_findings(directory)]
            out(f"k8s: {directory.name}: {count} objects, {len(findings)} findings")

    compose_errors = compose.check()
    errors += [f"compose: {e}" for e in compose_errors]
    out(f"compose: {compose.COMPOSE.relative_to(ROOT)}: {len(compose_errors)} errors")

    files, lint = dockerfiles.check()
    errors += [f"dockerfiles: {f}" for f in lint]
    out(f"dockerfiles: {len(files)} linted, {len(lint)} findings")

    contract_lines: list[str] = []
    if contract.run(strict=True, out=contract_lines.append) != 0:
        errors += [line for line in contract_lines if "BREAKING" in line or "stale" in line] or contract_lines
    for line in contract_lines:
        out(line)

    for error in errors:
        out(f"ERROR {error}")
    out(f"deploy-check: {valid} manifests valid, {len(errors)} errors")
    return 1 if errors else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.checks", description=__doc__.split("\n\n")[0])
    parser.add_argument("--manifests", type=Path, nargs="+", help="validate these rendered folders instead")
    args = parser.parse_args(argv)
    return run(args.manifests)


if __name__ == "__main__":
    sys.exit(main())
