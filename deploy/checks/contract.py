"""The contract check: the code's event schemas against the committed ones.

A consumer still running the previous release must read what the new release publishes, and
the new release must read what is already on the topics. So, between the committed schema of
an event type (the released contract) and the code's, these are breaking:

- a removed field, a field whose type changed (narrowed *or* widened, e.g. `int` → `int | str`),
  a newly required field, a required field made optional (old consumers require it), a
  changed constraint (pattern, bounds, format), an enum or const with a value removed, a
  model that stops accepting extra fields;
- a removed event type — unless a newer version of it (`<type>.v<N>`) is in the catalog
  (the type is then retired: only after every consumer reads the new version; README,
  "Deploying");
- an event type whose name is not `<name>` or `<name>.v<N>` (N >= 2).

And these pass: a new optional field, a new event type (a new version of an old one
included), an enum value added (reported: consumers must be deployed before producers),
changed titles, descriptions or defaults. A compatible change still leaves the committed
schemas stale; `--update` rewrites them (CI, `make deploy-check`, fails on stale ones).

    python -m deploy.checks.contract            # exit 1 on a breaking change
    python -m deploy.checks.contract --update   # after a compatible change: rewrite the files
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fourx_contracts.schemas import ENVELOPE, all_schemas, parse_type

ROOT = Path(__file__).resolve().parents[2]
SCHEMA_DIR = ROOT / "shared" / "contracts" / "schemas"

_ANNOTATIONS = {"title", "description", "default", "examples", "deprecated"}
_CONSTRAINTS = ("pattern", "format", "minLength", "maxLength", "minimum", "maximum", "exclusiveMinimum",
                "exclusiveMaximum", "multipleOf", "minItems", "maxItems", "uniqueItems", "minProperties",
                "maxProperties")


@dataclass(frozen=True)
class Finding:
    where: str        # "<type>: <path>"
    what: str         # the rule: "removed field", "retyped field", ...
    detail: str = ""

    def __str__(self) -> str:
        return f"{self.where}: {self.what}" + (f" ({self.detail})" if self.detail else "")


@dataclass
class Report:
    breaking: list[Finding] = field(default_factory=list)
    compatible: list[Finding] = field(default_factory=list)   # differences that pass
    stale: list[str] = field(default_factory=list)            # types whose committed schema differs

    @property
    def ok(self) -> bool:
        return not self.breaking


# --- schemas on disk --------------------------------------------------------------------------
def dump(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def load_committed(directory: Path = SCHEMA_DIR) -> dict[str, dict[str, Any]]:
    return {path.stem: json.loads(path.read_text()) for path in sorted(directory.glob("*.json"))}


def write_schemas(schemas: dict[str, dict[str, Any]], directory: Path = SCHEMA_DIR) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    wanted = {f"{name}.json" for name in schemas}
    for stale in directory.glob("*.json"):
        if stale.name not in wanted:
            stale.unlink()
    written = []
    for name, schema in schemas.items():
        path = directory / f"{name}.json"
        if not path.exists() or path.read_text() != dump(schema):
            path.write_text(dump(schema))
            written.append(path)
    return written


# --- the comparison ---------------------------------------------------------------------------
def check(committed: dict[str, dict[str, Any]], current: dict[str, dict[str, Any]]) -> Report:
    """Compare every committed schema with the code's: the whole verdict, pure."""
    report = Report()
    for name in current:
        if name == ENVELOPE:
            continue
        try:
            parse_type(name)
        except ValueError as exc:
            report.breaking.append(Finding(name, "bad event type name", str(exc)))
    current_versions: dict[str, list[str]] = {}
    for name in current:
        if name != ENVELOPE and _parses(name):
            current_versions.setdefault(parse_type(name)[0], []).append(name)
    for name, old in committed.items():
        new = current.get(name)
        if new is None:
            if name != ENVELOPE and _parses(name):
                base, version = parse_type(name)
                newer = [t for t in current_versions.get(base, []) if parse_type(t)[1] > version]
                if newer:
                    report.compatible.append(Finding(name, "event type retired", f"superseded by {', '.join(newer)}"))
                    report.stale.append(name)
                    continue
            report.breaking.append(Finding(name, "removed event type",
                                           "publish a new version `<type>.v<N>` beside it instead"))
            continue
        _Compare(name, old, new, report).node(old, new, "")
        if dump(old) != dump(new):
            report.stale.append(name)
    for name in current:
        if name not in committed:
            report.compatible.append(Finding(name, "new event type"))
            report.stale.append(name)
    return report


def _parses(name: str) -> bool:
    try:
        parse_type(name)
    except ValueError:
        return False
    return True


class _Compare:
    def __init__(self, name: str, old_root: dict[str, Any], new_root: dict[str, Any], report: Report):
        self.name, self.old_root, self.new_root, self.report = name, old_root, new_root, report
        self.seen: set[tuple[str, str, str]] = set()

    def breaking(self, path: str, what: str, detail: str = "") -> None:
        self.report.breaking.append(Finding(f"{self.name}: {path or '(payload)'}", what, detail))

    def compatible(self, path: str, what: str, detail: str = "") -> None:
        self.report.compatible.append(Finding(f"{self.name}: {path or '(payload)'}", what, detail))

    def resolve(self, node: Any, root: dict[str, Any]) -> tuple[Any, str]:
        ref = ""
        while isinstance(node, dict) and "$ref" in node:
            ref = node["$ref"]
            target: Any = root
            for part in ref.removeprefix("#/").split("/"):
                target = target[part]
            node = {**{k: v for k, v in node.items() if k != "$ref"}, **target}
        return node, ref

    def node(self, old: Any, new: Any, path: str) -> None:
        old, old_ref = self.resolve(old, self.old_root)
        new, new_ref = self.resolve(new, self.new_root)
        if old_ref or new_ref:   # recursive models: compare a pair of definitions once per path kind
            key = (old_ref, new_ref, path.rsplit(".", 1)[-1])
            if key in self.seen:
                return
            self.seen.add(key)
        old_alts, new_alts = _alternatives(old, self.old_root), _alternatives(new, self.new_root)
        old_alts = [self.resolve(a, self.old_root)[0] for a in old_alts]
        new_alts = [self.resolve(a, self.new_root)[0] for a in new_alts]
        old_kinds, new_kinds = _kinds(old_alts), _kinds(new_alts)
        if set(old_kinds) != set(new_kinds):
            self.breaking(path, "retyped field", f"{' | '.join(sorted(old_kinds))} → {' | '.join(sorted(new_kinds))}")
            return
        for kind, old_alt in old_kinds.items():
            self.same_kind(old_alt, new_kinds[kind], path)

    def same_kind(self, old: dict[str, Any], new: dict[str, Any], path: str) -> None:
        for key in _CONSTRAINTS:
            if old.get(key) != new.get(key):
                self.breaking(path, "changed constraint", f"{key}: {old.get(key)!r} → {new.get(key)!r}")
        old_values, new_values = _values(old), _values(new)
        if old_values is not None or new_values is not None:
            if old_values is None:
                self.breaking(path, "narrowed enum", f"any value → {sorted(map(str, new_values or []))}")
            elif new_values is not None:
                removed = [v for v in old_values if v not in new_values]
                added = [v for v in new_values if v not in old_values]
                if removed:
                    self.breaking(path, "narrowed enum", f"removed {removed}")
                if added:
                    self.compatible(path, "widened enum", f"added {added}: deploy its consumers first")
        if _type(old) == "object":
            self.object(old, new, path)
        elif _type(old) == "array":
            self.node(old.get("items", {}), new.get("items", {}), f"{path}[]")
            if "prefixItems" in old or "prefixItems" in new:
                old_prefix, new_prefix = old.get("prefixItems", []), new.get("prefixItems", [])
                if len(old_prefix) != len(new_prefix):
                    self.breaking(path, "retyped field", "tuple length changed")
                for i, (o, n) in enumerate(zip(old_prefix, new_prefix)):
                    self.node(o, n, f"{path}[{i}]")

    def object(self, old: dict[str, Any], new: dict[str, Any], path: str) -> None:
        old_props, new_props = old.get("properties", {}), new.get("properties", {})
        old_req, new_req = set(old.get("required", [])), set(new.get("required", []))
        prefix = f"{path}." if path else ""
        for prop, schema in old_props.items():
            where = f"{prefix}{prop}"
            if prop not in new_props:
                self.breaking(where, "removed field")
                continue
            if prop in old_req and prop not in new_req:
                self.breaking(where, "required field made optional", "consumers of the previous release require it")
            if prop not in old_req and prop in new_req:
                self.breaking(where, "newly required field", "events already on the topic lack it")
            self.node(schema, new_props[prop], where)
        for prop in new_props.keys() - old_props.keys():
            where = f"{prefix}{prop}"
            if prop in new_req:
                self.breaking(where, "newly required field", "a new field must be optional")
            else:
                self.compatible(where, "added optional field")
        old_extra, new_extra = old.get("additionalProperties", True), new.get("additionalProperties", True)
        if old_extra is not False and new_extra is False:
            self.breaking(path, "extra fields refused", "the model no longer accepts fields it does not declare")
        elif isinstance(old_extra, dict) or isinstance(new_extra, dict):
            self.node(old_extra if isinstance(old_extra, dict) else {},
                      new_extra if isinstance(new_extra, dict) else {}, f"{path}{{*}}")


def _alternatives(node: dict[str, Any], root: dict[str, Any]) -> list[dict[str, Any]]:
    for key in ("anyOf", "oneOf"):
        if key in node:
            alts: list[dict[str, Any]] = []
            for alt in node[key]:
                alts += _alternatives(alt, root) if isinstance(alt, dict) and ("anyOf" in alt or "oneOf" in alt) else [alt]
            return alts
    if isinstance(node.get("type"), list):
        return [{**node, "type": t} for t in node["type"]]
    return [node]


def _type(node: dict[str, Any]) -> str:
    if "type" in node:
        return node["type"]
    if "properties" in node:
        return "object"
    if "const" in node or "enum" in node:
        values = [node["const"]] if "const" in node else node["enum"]
        return {bool: "boolean", int: "integer", float: "number", type(None): "null"}.get(type(values[0]), "string")
    return "any"


def _kinds(alternatives: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Each alternative under a key naming its kind: its JSON type, and for objects the model's
    title (a union of models keeps each model apart)."""
    kinds: dict[str, dict[str, Any]] = {}
    for alt in alternatives:
        kind = _type(alt)
        if kind == "object" and "title" in alt and len(alternatives) > 1:
            kind = f"object:{alt['title']}"
        if kind in kinds:
            kind = f"{kind}#{len(kinds)}"
        kinds[kind] = alt
    return kinds


def _values(node: dict[str, Any]) -> list[Any] | None:
    if "const" in node:
        return [node["const"]]
    if "enum" in node:
        return list(node["enum"])
    return None


# --- the command ------------------------------------------------------------------------------
def run(update: bool = False, strict: bool = False, directory: Path = SCHEMA_DIR,
        out=print) -> int:
    """0 when compatible (and, if strict, the committed schemas are up to date), else 1."""
    current = all_schemas()
    committed = load_committed(directory)
    if not committed:
        out(f"contract: no committed schemas in {directory}; writing them")
        write_schemas(current, directory)
        return 0
    report = check(committed, current)
    for finding in report.breaking:
        out(f"contract: BREAKING {finding}")
    for finding in report.compatible:
        out(f"contract: compatible {finding}")
    if not report.ok:
        out(f"contract: {len(report.breaking)} breaking change(s); make a breaking change as a new "
            f"versioned event type (`<type>.v<N>`), see README \"Deploying\"")
        return 1
    if report.stale:
        if update:
            written = write_schemas(current, directory)
            out(f"contract: compatible; rewrote {len(written)} schema file(s) in {directory.relative_to(ROOT)}")
            return 0
        out(f"contract: compatible, but the committed schemas of {', '.join(report.stale)} are stale: "
            f"run `make contract-update` and commit them")
        return 1 if strict else 0
    out(f"contract: {len(current)} schemas match the committed ones")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.checks.contract", description=__doc__.split("\n\n")[0])
    parser.add_argument("--update", action="store_true", help="rewrite the committed schemas after a compatible change")
    parser.add_argument("--strict", action="store_true", help="fail when the committed schemas are stale")
    parser.add_argument("--dir", type=Path, default=SCHEMA_DIR, help="the committed schemas' directory")
    args = parser.parse_args(argv)
    return run(update=args.update, strict=args.strict, directory=args.dir)


if __name__ == "__main__":
    sys.exit(main())
