"""The console's Chinese labels are the services' own: web/console/src/vocabulary.json is
generated from fourx_contracts.vocabulary (web/console/scripts/vocabulary.py) and must not drift."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "web" / "console" / "scripts" / "vocabulary.py"


def _generator():
    spec = importlib.util.spec_from_file_location("console_vocabulary", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_console_labels_are_the_contract_vocabulary() -> None:
    generator = _generator()
    committed = generator.TARGET.read_text(encoding="utf-8")
    assert committed == generator.render(), (
        "web/console/src/vocabulary.json differs from fourx_contracts.vocabulary: run "
        "`uv run --frozen python web/console/scripts/vocabulary.py` and rebuild the console")


def test_every_light_status_and_role_has_a_chinese_label() -> None:
    from fourx_contracts import vocabulary as v

    labels = json.loads((ROOT / "web" / "console" / "src" / "vocabulary.json").read_text(encoding="utf-8"))
    assert set(labels["lights"]) == set(v.LIGHT_COLOURS)
    assert set(labels["item_statuses"]) == set(v.ITEM_STATUSES)
    assert set(labels["roles"]) == set(v.ROLES)
    for table in ("lights", "item_statuses", "roles", "light_reasons", "activities", "inspections"):
        assert all(any("\u4e00" <= ch <= "\u9fff" for ch in text) for text in labels[table].values()), table
