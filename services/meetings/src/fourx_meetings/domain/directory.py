"""A district's organisation directory: streets, communities, departments, people.

Imported from a YAML or JSON file (the shape of the `directory-updated` snapshot without its
version) and validated with errors that name the line they come from.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import yaml
from fourx_contracts import vocabulary
from fourx_contracts.vocabulary import ROLE_LABELS, UNIT_KIND_LABELS, label
from fourx_platform.outbound import OutboundPolicy, Refused, check_email, webhook_target
from fourx_platform.inputs import InputRefused, check_value, load_json

from fourx_meetings.domain.errors import Invalid

# The roles, unit kinds and which kind of unit holds each role: the contract's vocabulary.
ROLES, ROLE_UNIT_KIND, UNIT_KINDS = vocabulary.ROLES, vocabulary.ROLE_UNIT_KIND, vocabulary.UNIT_KINDS
# How a refusal lists the choices: the Chinese label people know, the name the file may use too.
ROLE_CHOICES = "、".join(f"{ROLE_LABELS[r]}（{r}）" for r in ROLES)
UNIT_KIND_CHOICES = "、".join(f"{UNIT_KIND_LABELS[k]}（{k}）" for k in UNIT_KINDS)
CHANNEL_KINDS = ("email", "webhook", "in_app", "sms")
# What each kind of channel may say: the contract types exactly these (`directory-updated`),
# so anything else would be published as an undeclared field.
CHANNEL_FIELDS = {"email": {"kind", "address"}, "webhook": {"kind", "url"}, "in_app": {"kind"},
                  "sms": {"kind", "number"}}


@dataclass(frozen=True)
class Problem:
    line: int | None
    path: str
    message: str

    def __str__(self) -> str:
        where = f"第 {self.line} 行" if self.line else "（无行号）"
        return f"{where}: {self.path}: {self.message}"


class DirectoryInvalid(Invalid):
    """The directory is refused as a whole; `problems` names each one with its line (422)."""

    code = "directory.invalid"

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("directory", "组织名册有误，未导入")

    def facts(self) -> dict[str, Any]:
        return {"problems": [{"line": p.line, "path": p.path, "message": p.message} for p in self.problems]}

    def __str__(self) -> str:
        return "; ".join(map(str, self.problems))


@dataclass(frozen=True)
class Street:
    street_id: str
    name: str


@dataclass(frozen=True)
class Community:
    community_id: str
    street_id: str
    name: str


@dataclass(frozen=True)
class Department:
    department_id: str
    name: str


@dataclass(frozen=True)
class Person:
    person_id: str
    name: str
    roles: tuple[str, ...]
    unit_kind: str
    unit_id: str
    channels: tuple[dict[str, Any], ...] = ()


@dataclass(frozen=True)
class Directory:
    streets: tuple[Street, ...]
    communities: tuple[Community, ...]
    departments: tuple[Department, ...]
    people: tuple[Person, ...]
    venue: str = ""
    # The district's own name (e.g. 鼓楼区), for bulletin titles; an addition to the contract.
    district_name: str = ""
    _people_by_id: dict[str, Person] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        self._people_by_id.update({p.person_id: p for p in self.people})

    def person(self, person_id: str) -> Person | None:
        return self._people_by_id.get(person_id)

    def community(self, community_id: str) -> Community | None:
        return next((c for c in self.communities if c.community_id == community_id), None)

    def has_unit(self, kind: str, unit_id: str) -> bool:
        return unit_id in self._ids(kind) if kind != "district" else True

    def _ids(self, kind: str) -> set[str]:
        if kind == "street":
            return {s.street_id for s in self.streets}
        if kind == "community":
            return {c.community_id for c in self.communities}
        if kind == "department":
            return {d.department_id for d in self.departments}
        return set()

    def to_snapshot(self) -> dict[str, Any]:
        """The contract's shape (without `version`)."""
        return {
            "venue": self.venue,
            "district_name": self.district_name,
            "streets": [{"street_id": s.street_id, "name": s.name} for s in self.streets],
            "communities": [{"community_id": c.community_id, "street_id": c.street_id, "name": c.name}
                            for c in self.communities],
            "departments": [{"department_id": d.department_id, "name": d.name} for d in self.departments],
            "people": [{"person_id": p.person_id, "name": p.name, "roles": list(p.roles),
                        "unit": {"kind": p.unit_kind, "id": p.unit_id}, "channels": [dict(c) for c in p.channels]}
                       for p in self.people],
        }

    def content_hash(self) -> str:
        canonical = json.dumps(self.to_snapshot(), ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()

    @classmethod
    def from_snapshot(cls, data: dict[str, Any]) -> Directory:
        """From a stored snapshot that was validated when it was imported."""
        return cls(
            venue=data.get("venue", ""),
            district_name=data.get("district_name", ""),
            streets=tuple(Street(s["street_id"], s["name"]) for s in data.get("streets", [])),
            communities=tuple(Community(c["community_id"], c["street_id"], c["name"])
                              for c in data.get("communities", [])),
            departments=tuple(Department(d["department_id"], d["name"]) for d in data.get("departments", [])),
            people=tuple(Person(p["person_id"], p["name"], tuple(p["roles"]), p["unit"]["kind"], p["unit"]["id"],
                                tuple(p.get("channels", []))) for p in data.get("people", [])),
        )


# --- parsing ------------------------------------------------------------------------------
def _line_index(node: yaml.Node | None, path: tuple[Any, ...] = (), out: dict | None = None) -> dict:
    """Path (keys and list indexes) → 1-based line of the value, from PyYAML's node tree."""
    out = {} if out is None else out
    if node is None:
        return out
    out[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = key_node.value
            _line_index(value_node, path + (key,), out)
            out[path + (key,)] = key_node.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _line_index(item, path + (i,), out)
    return out


# A directory of a few thousand people is a few hundred KiB of YAML. Pure-Python YAML reads
# about 200 KiB a second on a busy core: cap the text, its nodes and its nesting so a parse
# stays bounded (it runs in a worker thread, `handlers.import_directory`, never on the loop).
MAX_TEXT_CHARS = 1024 * 1024
MAX_NODES = 200_000
MAX_DEPTH = 32
# The whole snapshot travels in one `directory-updated` record; the broker refuses a record
# over 1 MiB (and a refused record would hold the outbox), so the snapshot stays under it.
MAX_SNAPSHOT_BYTES = 900 * 1024


class _SafeLoader(yaml.SafeLoader):
    """SafeLoader that refuses aliases (a few nested ones expand to billions of nodes: "billion
    laughs") and caps nodes and nesting while composing, before anything is built."""

    def __init__(self, stream: str):
        super().__init__(stream)
        self._nodes = 0
        self._depth = 0

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            raise yaml.composer.ComposerError(None, None, "YAML 别名（*name）不被接受：请把内容写完整",
                                              self.peek_event().start_mark)
        self._nodes += 1
        if self._nodes > MAX_NODES:
            raise yaml.composer.ComposerError(None, None, f"YAML 节点过多：最多 {MAX_NODES} 个",
                                              self.peek_event().start_mark)
        if self._depth >= MAX_DEPTH:
            raise yaml.composer.ComposerError(None, None, f"YAML 嵌套过深：最多 {MAX_DEPTH} 层",
                                              self.peek_event().start_mark)
        self._depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


# A directory holds text, numbers and lists: a date-like scalar (`2026-01-01`, `0000-01-01`)
# stays text instead of becoming a date (year 0 even raised a ValueError).
_SafeLoader.yaml_implicit_resolvers = {
    first: [(tag, pattern) for tag, pattern in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()}


def _compose(text: str) -> tuple[Any, yaml.Node | None]:
    loader = _SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, None
        try:
            return loader.construct_document(node), node
        except (ValueError, TypeError, AttributeError, OverflowError, LookupError) as exc:
            # PyYAML's constructors raise these, not YAMLError, on a malformed explicitly tagged
            # scalar (`!!int 0x`, `!!timestamp nope`): bad input, not a bug of ours.
            raise yaml.constructor.ConstructorError(None, None, f"无法读取的值：{exc}", None) from None
    finally:
        loader.dispose()


def load_document(text: str) -> tuple[Any, dict]:
    """Data and its line index from YAML or JSON text (JSON is read by json, lines by YAML,
    which reads JSON too). Syntax errors and values no service may store (too deep, an
    integer beyond 64 bits, a NUL, a lone surrogate, a date or binary YAML tag) become a
    DirectoryInvalid with the line."""
    if len(text) > MAX_TEXT_CHARS:
        raise DirectoryInvalid([Problem(None, "(file)", f"文件过大：最多 {MAX_TEXT_CHARS} 个字符")])
    stripped = text.lstrip()
    if stripped.startswith(("{", "[")):
        try:
            data = load_json(text)
        except InputRefused as exc:
            raise DirectoryInvalid([Problem(None, _dotted(exc.loc), exc.message)]) from None
        except ValueError as exc:
            line = getattr(exc, "lineno", None)
            raise DirectoryInvalid([Problem(line, "(file)", f"不是有效的 JSON：{getattr(exc, 'msg', exc)}")]) from None
        try:
            lines = _line_index(_compose(text)[1])
        except (yaml.YAMLError, RecursionError):
            lines = {}
        return data, lines
    try:
        data, node = _compose(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        raise DirectoryInvalid([Problem(line, "(file)", f"不是有效的 YAML：{problem}")]) from None
    lines = _line_index(node)
    try:
        check_value(data)
    except InputRefused as exc:
        raise DirectoryInvalid([Problem(_line_of(lines, exc.loc), _dotted(exc.loc), exc.message)]) from None
    return data, lines


def _line_of(lines: dict, path: tuple[Any, ...]) -> int | None:
    while path and path not in lines:
        path = path[:-1]
    return lines.get(path)


def parse_directory(text: str, outbound: OutboundPolicy | None = None) -> Directory:
    data, lines = load_document(text)
    directory = validate_directory(data, lines, outbound)
    size = len(json.dumps(directory.to_snapshot(), ensure_ascii=False, separators=(",", ":")).encode())
    if size > MAX_SNAPSHOT_BYTES:
        raise DirectoryInvalid([Problem(None, "(file)", f"目录过大：快照 {size} 字节，最多 {MAX_SNAPSHOT_BYTES} 字节")])
    return directory


class _Checker:
    def __init__(self, lines: dict):
        self.lines = lines
        self.problems: list[Problem] = []

    def line(self, path: tuple[Any, ...]) -> int | None:
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.lines.get(())

    def fail(self, path: tuple[Any, ...], message: str) -> None:
        self.problems.append(Problem(self.line(path), _dotted(path), message))

    def text(self, item: dict, key: str, path: tuple[Any, ...]) -> str | None:
        value = item.get(key)
        if not isinstance(value, str) or not value.strip():
            self.fail(path + (key,) if key in item else path, f"缺少 {key} 或为空")
            return None
        return value.strip()

    def items(self, data: dict, key: str, required: bool = True) -> Iterable[tuple[tuple, dict]]:
        value = data.get(key)
        if value is None:
            if required:
                self.fail((), f"缺少 {key} 列表")
            return
        if not isinstance(value, list):
            self.fail((key,), f"{key} 应为列表")
            return
        for i, item in enumerate(value):
            if not isinstance(item, dict):
                self.fail((key, i), "每一项应为键值映射")
                continue
            yield (key, i), item


def _check_target(check: _Checker, cpath: tuple, channel: dict, outbound: OutboundPolicy, who: str) -> None:
    """The outbound rules the literal value can show (DNS is notify's, at send time)."""
    key = "address" if channel["kind"] == "email" else "url"
    value = channel.get(key)
    if not isinstance(value, str) or not value.strip():
        check.fail(cpath + (key,), f"{who}的 {channel['kind']} 渠道缺少 {key}")
        return
    try:
        if key == "address":
            check_email(value, outbound)
        else:
            webhook_target(value, outbound)
    except Refused as exc:
        check.fail(cpath + (key,), f"{who}的 {channel['kind']} 渠道 {key} 不可用：{exc}")


def _dotted(path: tuple[Any, ...]) -> str:
    out = ""
    for part in path:
        if isinstance(part, str):  # a key may hold anything (a lone surrogate): keep it encodable
            part = part.encode("utf-8", "backslashreplace").decode("utf-8")
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(root)"


def validate_directory(data: Any, lines: dict | None = None, outbound: OutboundPolicy | None = None) -> Directory:
    """Every problem at once (not just the first), each with its line. Channels are checked
    against the outbound rules (`outbound`, strict when not given): one mailbox per email
    channel, an https webhook not pointing at an internal address unless allowlisted."""
    check = _Checker(lines or {})
    outbound = outbound or OutboundPolicy()
    if not isinstance(data, dict):
        raise DirectoryInvalid([Problem(check.line(()), "(root)", "组织名录应为键值映射（YAML 或 JSON 对象）")])

    venue, district_name = data.get("venue", ""), data.get("district_name", "")
    if not isinstance(venue, str):
        check.fail(("venue",), "venue 应为文本")
        venue = ""
    if not isinstance(district_name, str):
        check.fail(("district_name",), "district_name 应为文本")
        district_name = ""

    def unique(seen: dict[str, tuple], ident: str | None, path: tuple, what: str) -> bool:
        if ident is None:
            return False
        if ident in seen:
            check.fail(path, f"{label(UNIT_KIND_LABELS, what) if what != 'person' else '人员'}编号 {ident} 重复（首次出现在第 {check.line(seen[ident])} 行）")
            return False
        seen[ident] = path
        return True

    streets: dict[str, Street] = {}
    seen: dict[str, tuple] = {}
    for path, item in check.items(data, "streets"):
        sid, name = check.text(item, "street_id", path), check.text(item, "name", path)
        if unique(seen, sid, path + ("street_id",), "street") and name:
            streets[sid] = Street(sid, name)

    communities: dict[str, Community] = {}
    seen = {}
    for path, item in check.items(data, "communities"):
        cid, sid, name = (check.text(item, k, path) for k in ("community_id", "street_id", "name"))
        if sid is not None and sid not in streets:
            check.fail(path + ("street_id",), f"没有街道 {sid}")
            sid = None
        if unique(seen, cid, path + ("community_id",), "community") and sid and name:
            communities[cid] = Community(cid, sid, name)

    departments: dict[str, Department] = {}
    seen = {}
    for path, item in check.items(data, "departments", required=False):
        did, name = check.text(item, "department_id", path), check.text(item, "name", path)
        if unique(seen, did, path + ("department_id",), "department") and name:
            departments[did] = Department(did, name)

    known = {"street": streets, "community": communities, "department": departments}
    people: dict[str, Person] = {}
    seen = {}
    for path, item in check.items(data, "people"):
        pid, name = check.text(item, "person_id", path), check.text(item, "name", path)
        roles = item.get("roles")
        if not isinstance(roles, list) or not roles:
            check.fail(path + ("roles",) if "roles" in item else path, "每人至少要有一个角色")
            roles = []
        good_roles = []
        for j, role in enumerate(roles):
            if role not in ROLES:
                check.fail(path + ("roles", j), f"角色“{role}”不存在；可用角色：{ROLE_CHOICES}")
            else:
                good_roles.append(role)
        unit = item.get("unit")
        kind = unit_id = None
        if not isinstance(unit, dict):
            check.fail(path + ("unit",) if "unit" in item else path, "缺少所在单位 unit（kind 和 id）")
        else:
            kind, unit_id = unit.get("kind"), unit.get("id")
            if kind not in UNIT_KINDS:
                check.fail(path + ("unit", "kind"), f"单位类型 unit.kind 应为以下之一：{UNIT_KIND_CHOICES}")
                kind = None
            elif not isinstance(unit_id, str) or not unit_id:
                check.fail(path + ("unit",), "缺少 unit.id")
                kind = None
            elif kind != "district" and unit_id not in known[kind]:
                check.fail(path + ("unit", "id"), f"没有{label(UNIT_KIND_LABELS, kind)} {unit_id}")
                kind = None
        if kind:
            for role in good_roles:
                if ROLE_UNIT_KIND[role] != kind:
                    check.fail(path + ("roles",), f"角色 {role} 属于{label(UNIT_KIND_LABELS, ROLE_UNIT_KIND[role])}，"
                                                  f"而此人所在单位是{label(UNIT_KIND_LABELS, kind)}")
        channels = item.get("channels", [])
        if not isinstance(channels, list):
            check.fail(path + ("channels",), "channels 应为列表")
            channels = []
        for j, channel in enumerate(channels):
            cpath = path + ("channels", j)
            if not isinstance(channel, dict) or channel.get("kind") not in CHANNEL_KINDS:
                check.fail(cpath, f"渠道须有 kind：{'、'.join(CHANNEL_KINDS)} 之一")
            elif unknown := sorted(set(channel) - CHANNEL_FIELDS[channel["kind"]]):
                check.fail(cpath + (unknown[0],), f"{channel['kind']} 渠道没有字段 {'、'.join(map(str, unknown))}"
                                                  f"（可用：{'、'.join(sorted(CHANNEL_FIELDS[channel['kind']]))}）")
            elif channel["kind"] in ("email", "webhook"):
                _check_target(check, cpath, channel, outbound, f"{name or '?'}（{pid or '?'}）")
            elif channel["kind"] == "sms" and not str(channel.get("number", "")).strip():
                check.fail(cpath, "短信渠道须有 number")
        if unique(seen, pid, path + ("person_id",), "person") and name and good_roles and kind:
            people[pid] = Person(pid, name, tuple(good_roles), kind, unit_id,
                                 tuple(dict(c) for c in channels if isinstance(c, dict)))

    if check.problems:
        raise DirectoryInvalid(check.problems)
    return Directory(streets=tuple(streets.values()), communities=tuple(communities.values()),
                     departments=tuple(departments.values()), people=tuple(people.values()), venue=venue,
                     district_name=district_name)
