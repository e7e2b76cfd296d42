"""Validate rendered Kubernetes manifests offline.

- Kubernetes' own kinds: `kubernetes-validate` (PyPI; its wheel carries the JSON schemas of each
  Kubernetes release), strict (an unknown field is an error), for the pinned version below.
- Custom resources (Strimzi's `Kafka`, `KafkaNodePool`, `KafkaTopic`, `KafkaUser`; KEDA's
  `ScaledObject`, `TriggerAuthentication`): the `openAPIV3Schema` of their CRDs, vendored under
  `deploy/k8s/schemas/` (sources and licenses in its README), with `jsonschema`. Made strict the
  same way: where a schema lists `properties` and neither allows other fields nor preserves
  unknown ones, an unknown field is an error (the API server would silently prune it).
- Every object: apiVersion and kind known, a DNS-1123 name, a namespace for a namespaced kind.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import yaml

ROOT = Path(__file__).resolve().parents[2]
SCHEMAS = ROOT / "deploy" / "k8s" / "schemas"
KUBERNETES_VERSION = "1.34.0"
CLUSTER_SCOPED = {"Namespace", "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition", "PriorityClass",
                  "StorageClass", "PersistentVolume"}
_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")


@dataclass(frozen=True)
class Finding:
    where: str      # "file: Kind/name"
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


def _strict(schema: Any) -> Any:
    if isinstance(schema, list):
        return [_strict(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {key: (_strict(value) if key not in ("enum", "required", "default", "example") else value)
           for key, value in schema.items()}
    if "properties" in schema:
        out["properties"] = {name: _strict(s) for name, s in schema["properties"].items()}
        if "additionalProperties" not in schema and not schema.get("x-kubernetes-preserve-unknown-fields"):
            out["additionalProperties"] = False
    return out


@cache
def custom_schemas(directory: Path = SCHEMAS) -> dict[tuple[str, str], dict[str, Any]]:
    """(apiVersion, kind) → the strict schema of every served version of every vendored CRD."""
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for path in sorted(directory.rglob("*.yaml")):
        for crd in yaml.safe_load_all(path.read_text()):
            if not isinstance(crd, dict) or crd.get("kind") != "CustomResourceDefinition":
                continue
            group, kind = crd["spec"]["group"], crd["spec"]["names"]["kind"]
            for version in crd["spec"]["versions"]:
                if version.get("served", True):
                    schema = copy.deepcopy(version["schema"]["openAPIV3Schema"])
                    # apiVersion/kind/metadata are the API server's to check (below), not the CRD's.
                    found[(f"{group}/{version['name']}", kind)] = _strict(schema)
    return found


def validate_object(obj: Any, where: str = "") -> list[Finding]:
    if not isinstance(obj, dict):
        return [Finding(where or "?", "not a mapping")]
    kind, api_version = obj.get("kind"), obj.get("apiVersion")
    metadata = obj.get("metadata") or {}
    label = f"{where}: {kind}/{metadata.get('name', '?')}" if where else f"{kind}/{metadata.get('name', '?')}"
    findings: list[Finding] = []
    if not kind or not api_version:
        return [Finding(label, "no apiVersion or kind")]
    name = metadata.get("name")
    if not isinstance(name, str) or len(name) > 253 or not _NAME.match(name):
        findings.append(Finding(label, f"metadata.name {name!r} is not a DNS-1123 subdomain"))
    if kind not in CLUSTER_SCOPED and not metadata.get("namespace"):
        findings.append(Finding(label, "a namespaced object without metadata.namespace"))
    custom = custom_schemas().get((api_version, kind))
    if custom is not None:
        validator = jsonschema.Draft7Validator(custom)
        for error in sorted(validator.iter_errors(obj), key=lambda e: list(e.absolute_path)):
            path = ".".join(str(p) for p in error.absolute_path) or "(root)"
            findings.append(Finding(label, f"{path}: {error.message}"))
        return findings
    try:
        kubernetes_validate.validate(obj, KUBERNETES_VERSION, strict=True)
    except kubernetes_validate.ValidationError as error:
        path = ".".join(str(p) for p in error.path) or "(root)"
        findings.append(Finding(label, f"{path}: {error.message}"))
    except kubernetes_validate.SchemaNotFoundError:
        findings.append(Finding(label, f"no schema for {api_version} {kind} (Kubernetes {KUBERNETES_VERSION} "
                                       f"or the vendored CRDs)"))
    return findings


def load_manifests(directory: Path) -> list[tuple[str, Any]]:
    """(file name, object) for every document of every YAML file but kustomization.yaml."""
    objects = []
    for path in sorted(directory.glob("*.yaml")):
        if path.name == "kustomization.yaml":
            continue
        for document in yaml.safe_load_all(path.read_text()):
            if document is not None:
                objects.append((path.name, document))
    return objects


def validate_directory(directory: Path) -> tuple[int, int, list[Finding]]:
    """(objects validated, objects valid, findings) for one rendered overlay; also that
    kustomization.yaml lists exactly its files, and that no two objects share a kind, namespace
    and name."""
    findings: list[Finding] = []
    objects = load_manifests(directory)
    seen: set[tuple[str, str, str]] = set()
    valid = 0
    for file, obj in objects:
        own = validate_object(obj, f"{directory.name}/{file}")
        findings += own
        valid += not own
        if isinstance(obj, dict):
            meta = obj.get("metadata") or {}
            key = (str(obj.get("kind")), str(meta.get("namespace")), str(meta.get("name")))
            if key in seen:
                findings.append(Finding(f"{directory.name}/{file}", f"duplicate {key[0]} {key[1]}/{key[2]}"))
            seen.add(key)
    kustomization = directory / "kustomization.yaml"
    if kustomization.exists():
        listed = set(yaml.safe_load(kustomization.read_text()).get("resources", []))
        present = {p.name for p in directory.glob("*.yaml")} - {"kustomization.yaml"}
        if listed != present:
            findings.append(Finding(f"{directory.name}/kustomization.yaml",
                                    f"resources {sorted(listed)} are not the files {sorted(present)}"))
    return len(objects), valid, findings
