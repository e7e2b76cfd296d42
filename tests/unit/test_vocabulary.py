"""One name per idea: the vocabulary (roles, unit kinds, activity and inspection kinds, item
statuses, lights and their Chinese labels) is defined once, in the contracts package, and no
service keeps a label table of its own."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import get_args

from fourx_contracts import events, vocabulary as v

ROOT = Path(__file__).resolve().parents[2]


def test_every_name_has_one_label_and_the_literals_match():
    for names, labels in ((v.ROLES, v.ROLE_LABELS), (v.UNIT_KINDS, v.UNIT_KIND_LABELS),
                          (v.ACTIVITY_KINDS, v.ACTIVITY_LABELS), (v.INSPECTION_KINDS, v.INSPECTION_LABELS),
                          (v.ITEM_STATUSES, v.ITEM_STATUS_LABELS), (v.LIGHT_COLOURS, v.LIGHT_LABELS),
                          (v.LIGHT_REASONS, v.LIGHT_REASON_LABELS), (v.REPORTED_STATUSES, v.REPORTED_STATUS_LABELS),
                          (v.SOURCE_KINDS, v.SOURCE_KIND_LABELS)):
        assert tuple(labels) == names
        assert len(set(labels.values())) == len(labels)
    assert set(v.ROLE_UNIT_KIND) == set(v.ROLES) and set(v.ROLE_UNIT_KIND.values()) <= set(v.UNIT_KINDS)
    assert v.ACTIVITY_LABELS["experience_sharing"] == "经验分享"


def test_the_contract_uses_the_vocabulary():
    assert get_args(events.Unit.model_fields["kind"].annotation) == v.UNIT_KINDS
    assert get_args(events.ActivityHeld.model_fields["kind"].annotation) == v.ACTIVITY_KINDS
    assert get_args(events.InspectionHeld.model_fields["kind"].annotation) == v.INSPECTION_KINDS


def test_light_labels():
    assert v.light_label("yellow") == "黄灯" and v.light_label("red", sign=True) == "🔴红灯"
    assert v.light_label(None) == v.NO_LIGHT_LABEL
    assert v.label(v.ACTIVITY_LABELS, "new_kind") == "new_kind" and v.label(v.ACTIVITY_LABELS, None) == "—"


def test_the_vocabulary_module_needs_only_the_standard_library():
    tree = ast.parse((ROOT / "shared/contracts/src/fourx_contracts/vocabulary.py").read_text(encoding="utf-8"))
    imported = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import)
                for alias in node.names}
    imported |= {node.module.split(".")[0] for node in ast.walk(tree)
                 if isinstance(node, ast.ImportFrom) and node.module}
    assert imported <= {"__future__", "typing", "dataclasses"}


def test_no_service_keeps_its_own_label_table():
    """A label string of the vocabulary appears as a literal nowhere else in the code (the
    old copies: 经验交流 vs 经验分享, light and activity tables in notify and issues)."""
    labels = {*v.ACTIVITY_LABELS.values(), *v.INSPECTION_LABELS.values(), *v.LIGHT_LABELS.values(),
              *v.ITEM_STATUS_LABELS.values(), *v.REPORTED_STATUS_LABELS.values(), *v.ROLE_LABELS.values(),
              *v.SOURCE_KIND_LABELS.values(), "经验交流"}
    offenders = []
    for folder in ("services", "shared/contracts/src", "shared/platform/src", "deploy/local/src"):
        for path in (ROOT / folder).rglob("*.py"):
            if path.name == "vocabulary.py":
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"))
            in_fstrings = {id(part) for node in ast.walk(tree) if isinstance(node, ast.JoinedStr) for part in node.values}
            for node in ast.walk(tree):
                if id(node) in in_fstrings:
                    continue  # a piece of a sentence, not a label
                if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in labels:
                    offenders.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.value}")
    assert offenders == []
