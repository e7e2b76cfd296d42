"""Writes src/vocabulary.json from fourx_contracts.vocabulary: the console shows the same Chinese
labels as the services (one idea, one label). Run: uv run --frozen python web/console/scripts/vocabulary.py
(tests/browser/test_pages_vocabulary.py fails when the committed file has drifted)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from fourx_contracts import vocabulary as v

TARGET = Path(__file__).resolve().parent.parent / "src" / "vocabulary.json"


def tables() -> dict:
    return {
        "roles": v.ROLE_LABELS, "role_order": list(v.ROLES), "unit_kinds": v.UNIT_KIND_LABELS,
        "activities": v.ACTIVITY_LABELS, "inspections": v.INSPECTION_LABELS,
        "item_statuses": v.ITEM_STATUS_LABELS, "reported_statuses": v.REPORTED_STATUS_LABELS,
        "lights": v.LIGHT_LABELS, "light_order": list(v.LIGHT_COLOURS), "no_light": v.NO_LIGHT_LABEL,
        "light_reasons": v.LIGHT_REASON_LABELS, "sources": v.SOURCE_KIND_LABELS,
    }


def render() -> str:
    return json.dumps(tables(), ensure_ascii=False, indent=2) + "\n"


if __name__ == "__main__":
    TARGET.write_text(render(), encoding="utf-8")
    sys.stdout.write(f"wrote {TARGET}\n")
