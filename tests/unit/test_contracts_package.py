"""Acceptance (issue 10): the contracts package is what another team, an ops tool or a service
in another language takes to read or produce fourx's events — so it depends on pydantic only,
and none of its modules pulls in the runtime (FastStream, PyMongo, FastAPI, PyJWT, ...)."""

from __future__ import annotations

import ast
import subprocess
import sys
import tomllib
from importlib.metadata import requires
from pathlib import Path

import fourx_contracts

PACKAGE = Path(fourx_contracts.__file__).parent
RUNTIME = {"faststream", "aiokafka", "pymongo", "fastapi", "starlette", "uvicorn", "jwt",
           "structlog", "stamina", "pydantic_settings", "email_validator", "fourx_platform"}


def _third_party(requirement: str) -> str:
    return requirement.split(";")[0].split("[")[0].split("<")[0].split(">")[0].split("=")[0].strip().lower()


def test_its_only_third_party_dependency_is_pydantic():
    declared = {_third_party(r) for r in requires("fourx-contracts") or []}
    assert declared == {"pydantic"}
    pyproject = tomllib.loads((PACKAGE.parents[1] / "pyproject.toml").read_text())
    assert {_third_party(r) for r in pyproject["project"]["dependencies"]} == {"pydantic"}


def test_uv_pip_show_lists_pydantic_as_its_only_requirement():
    shown = subprocess.run(["uv", "pip", "show", "fourx-contracts"], capture_output=True, text=True,
                           check=True).stdout
    requires_line = next(line for line in shown.splitlines() if line.startswith("Requires:"))
    assert requires_line.split(":", 1)[1].strip() == "pydantic"


def _imported_roots(path: Path) -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
    return roots


def test_no_module_imports_the_runtime():
    modules = sorted(PACKAGE.rglob("*.py"))
    assert len(modules) >= 5
    offenders = {m.name: sorted(_imported_roots(m) & RUNTIME) for m in modules}
    assert {name: found for name, found in offenders.items() if found} == {}


def test_importing_every_module_loads_no_runtime_library():
    names = [f"fourx_contracts.{m.stem}" for m in PACKAGE.glob("*.py") if m.stem != "__init__"]
    probe = ("import sys, importlib\n"
             f"for name in {names!r}: importlib.import_module(name)\n"
             f"print(sorted(set(m.split('.')[0] for m in sys.modules) & set({sorted(RUNTIME)!r})))")
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "[]"
