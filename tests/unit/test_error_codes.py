"""Every API error body carries a stable code the web console words from docs/error-codes.json:
the committed file is what the code gives (`make error-codes`), every code a service can answer
with is in the catalog (found in the source: `code="…"` at raise sites and `code = "…"` on the
refusal classes), every catalog message is a Chinese sentence, and no code sits unused."""

from __future__ import annotations

import ast
import importlib
import pkgutil
import re
from pathlib import Path

import pytest
from fourx_platform import error_codes, http
from fourx_platform.errors import DomainError

ROOT = Path(__file__).resolve().parents[2]
COMMITTED = ROOT / "docs" / "error-codes.json"
SOURCES = [ROOT / "shared" / "platform" / "src", *sorted((ROOT / "services").glob("*/src"))]
CODE = re.compile(r"^[a-z]+(_[a-z]+)*(\.[a-z]+(_[a-z]+)*)?$")
HAN = re.compile(r"[\u4e00-\u9fff]")


def _source_files(sources: list[Path]) -> list[Path]:
    return [p for src in sources for p in src.rglob("*.py") if p.name != "error_codes.py"]


def _emitted_codes(sources: list[Path] | None = None) -> dict[str, list[str]]:
    """code → where it is given. A code is given as a keyword `code="…"` (or passed on as a
    variable, which is checked where it is set) or as a class attribute `code = "…"`."""
    found: dict[str, list[str]] = {}
    for path in _source_files(sources or SOURCES):
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            where = f"{path.name}:{getattr(node, 'lineno', 0)}"
            if isinstance(node, ast.Call):
                for keyword in node.keywords:
                    if keyword.arg != "code":
                        continue
                    value = keyword.value
                    if isinstance(value, ast.Constant) and isinstance(value.value, str):
                        found.setdefault(value.value, []).append(where)
                    else:
                        # Passed through: a parameter, a class's own code, or the status table's
                        # (fourx_platform.http.http_code), each checked where it is set.
                        passed_on = isinstance(value, ast.Name | ast.Attribute) or (
                            isinstance(value, ast.Call) and getattr(value.func, "id", None) == "http_code")
                        assert passed_on, f"{where}: give a code as a literal"
            elif isinstance(node, ast.ClassDef):
                for statement in node.body:
                    if (isinstance(statement, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "code"
                                                                   for t in statement.targets)
                            and isinstance(statement.value, ast.Constant)):
                        found.setdefault(statement.value.value, []).append(where)
    for code in (*http.HTTP_STATUS_CODES.values(), http.UNKNOWN_ROUTE, http.INTERNAL, http.UNAVAILABLE):
        found.setdefault(code, []).append("fourx_platform.http")
    return found


def test_the_committed_file_is_what_the_code_gives():
    assert COMMITTED.read_text(encoding="utf-8") == error_codes.render(), \
        "docs/error-codes.json is stale: run `make error-codes`"


def test_every_code_a_service_emits_is_in_the_catalog():
    emitted = _emitted_codes()
    assert len(emitted) > 30  # the scan does see the raise sites
    unknown = {code: where for code, where in emitted.items() if code not in error_codes.CATALOG}
    assert unknown == {}


def test_the_scan_would_catch_a_code_missing_from_the_catalog(tmp_path):
    module = tmp_path / "src" / "fake.py"
    module.parent.mkdir()
    module.write_text('raise DomainError("不行", code="topic.no_such_code")\n')
    emitted = _emitted_codes([tmp_path / "src"])
    assert "topic.no_such_code" in emitted and "topic.no_such_code" not in error_codes.CATALOG


def test_no_catalog_code_is_left_unused():
    assert set(error_codes.CATALOG) - set(_emitted_codes()) == set()


def _subclasses(cls: type) -> set[type]:
    return {sub for direct in cls.__subclasses__() for sub in {direct, *_subclasses(direct)}}


def test_every_refusal_class_of_every_service_has_a_catalogued_code():
    for package in ("fourx_platform", "fourx_meetings", "fourx_issues", "fourx_notify"):
        root = importlib.import_module(package)
        for info in pkgutil.walk_packages(root.__path__, f"{package}."):
            if not info.name.endswith("__main__"):
                importlib.import_module(info.name)
    classes = {c for c in _subclasses(DomainError) if c.__module__.startswith("fourx_")}
    assert len(classes) >= 5
    assert {c.__name__: c.code for c in classes if c.code not in error_codes.CATALOG} == {}


@pytest.mark.parametrize("code", sorted(error_codes.CATALOG))
def test_each_code_is_well_formed_and_its_message_a_chinese_sentence(code):
    message = error_codes.CATALOG[code]
    assert CODE.match(code), code
    letters = [ch for ch in message if ch.isalpha()]
    han = HAN.findall(message)
    assert len(han) >= 0.8 * len(letters) and len(han) >= 8, message
    assert message.endswith("。"), message


def test_an_unknown_code_reads_as_the_internal_error():
    assert error_codes.message("no.such") == error_codes.CATALOG["internal"]


def test_the_catalog_module_is_standard_library_only():
    import sys

    tree = ast.parse(Path(error_codes.__file__).read_text())
    roots = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    roots |= {node.module.split(".")[0] for node in ast.walk(tree)
              if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module}
    assert roots <= set(sys.stdlib_module_names) | {"__future__"}, roots
