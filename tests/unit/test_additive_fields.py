"""The additive fields of contract v1.1: declared, typed, optional. A bad value fails
validation (the record goes to the DLQ), an unknown field is accepted, a producer cannot
send a field the contract does not declare."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from fourx_contracts.envelope import InvalidEvent, UndeclaredField, new_event
from fourx_contracts.events import CATALOG, IssueRaised, MeetingHeld, TaskAssignment, Unit, validate_payload

UNIT = {"kind": "community", "id": "c-1"}
PERSON = {"person_id": "p1", "name": "周敏", "roles": ["community_secretary"], "unit": UNIT,
          "channels": [{"kind": "email", "address": "zm@example.test"}, {"kind": "webhook", "url": "https://h.test/x"},
                       {"kind": "inbox"}, {"kind": "in_app"}, {"kind": "sms", "number": "138"}]}

# A payload per topic that carries every additive field with a good value.
FULL: dict[str, dict[str, Any]] = {
    "directory-updated": {
        "version": 3, "streets": [{"street_id": "s-1", "name": "湖南路街道"}],
        "communities": [{"community_id": "c-1", "street_id": "s-1", "name": "青云巷社区"}],
        "departments": [{"department_id": "d-1", "name": "区住建局"}], "people": [PERSON],
        "district_name": "鼓楼区", "venue": "区委党校报告厅"},
    "meeting-scheduled": {
        "meeting_id": "m-2026-11", "kind": "activity_day", "date": "2026-11-06", "venue": "党校",
        "topic_deadline": "2026-10-30", "first_friday": "2026-11-06", "calendar_confirmed": True},
    "topic-proposed": {
        "topic_id": "t1", "meeting_id": "m", "title": "停车难", "proposed_by": UNIT, "proposer": "p1",
        "proposed_on": "2026-10-25"},
    "meeting-held": {
        "meeting_id": "m", "kind": "activity_day", "date": "2026-11-06", "attendees": ["p1"],
        "community_reports": [{"community_id": "c-1", "last_month": "a", "next_month": "b", "by": "p1",
                               "supervision_items": [{"issue_id": "i1", "title": "加装电梯", "status": "in_progress",
                                                      "due_date": "2026-12-01", "responsible": UNIT,
                                                      "progress": {"week": "2026-W47", "percent": 60, "note": "摸底"},
                                                      "resolved_on": None, "days_overdue": None}]}],
        "comments": [{"community_id": "c-1", "by": "p2", "text": "好"}],
        "tasks": [{"task_id": "k1", "title": "加装电梯", "assigned_to": UNIT, "due_date": "2026-12-01", "by": "p3"}],
        "summary": "总结", "topic_ids": ["t1"], "venue": "党校"},
    "activity-held": {
        "activity_id": "a1", "meeting_id": None, "kind": "collective_diagnosis", "date": "2026-11-06",
        "title": "会诊", "participants": ["p1"], "outcomes": [], "record": {"problem": "停车位不足"}},
    "issue-raised": {
        "issue_id": "i1", "title": "t", "description": "d", "source": {"kind": "meeting_task", "ref": "m/k1"},
        "responsible": UNIT, "owner": None, "due_date": "2026-12-01", "street_id": "s-1", "community_id": "c-1",
        "raised_on": "2026-11-06", "co_units": [{"kind": "department", "id": "d-1"}]},
    "progress-recorded": {"issue_id": "i1", "week": "2026-W48", "note": "n", "percent": 30, "seq": 3},
    "issue-resolved": {"issue_id": "i1", "resolved_on": "2026-11-30", "resolution": "r", "claimed_on": "2026-11-28"},
    "notice-issued": {
        "notice_id": "n1", "issue_id": "i1", "to": UNIT, "to_person": "p1", "reason": "r", "issued_on": "2026-12-02",
        "respond_by": "2026-12-09", "number": "督办〔2026〕第1号"},
    "report-published": {
        "report_id": "d:2026-W48", "week": "2026-W48", "stats": {}, "recipients": 17, "formats": ["markdown"],
        "url": None, "number": 12, "title": "鼓楼区周工作记实通报", "content_hash": "ab" * 32},
}

# (topic, path to the field, a bad value, what the error must name)
BAD: list[tuple[str, tuple[Any, ...], Any, str]] = [
    ("directory-updated", ("district_name",), ["鼓楼区"], "district_name"),
    ("directory-updated", ("venue",), {"room": 1}, "venue"),
    ("directory-updated", ("people", 0, "channels", 0, "address"), "not-an-address", "channels.0.email.address"),
    ("directory-updated", ("people", 0, "channels", 1, "url"), "ftp://h.test", "channels.1.webhook.url"),
    ("directory-updated", ("people", 0, "channels", 4, "number"), "", "channels.4.sms.number"),
    ("directory-updated", ("people", 0, "channels", 2), {"kind": 7}, "channels.2"),
    ("meeting-scheduled", ("first_friday",), "next friday", "first_friday"),
    ("meeting-scheduled", ("calendar_confirmed",), "perhaps", "calendar_confirmed"),
    ("topic-proposed", ("proposer",), 42, "proposer"),
    ("topic-proposed", ("proposed_on",), "2026-13-01", "proposed_on"),
    ("meeting-held", ("venue",), ["a"], "venue"),
    ("meeting-held", ("community_reports", 0, "by"), {"p": 1}, "community_reports.0.by"),
    ("meeting-held", ("community_reports", 0, "supervision_items", 0, "status"), "lost",
     "community_reports.0.supervision_items.0.status"),
    ("meeting-held", ("community_reports", 0, "supervision_items", 0, "progress", "percent"), 130,
     "supervision_items.0.progress.percent"),
    ("meeting-held", ("tasks", 0, "by"), 3, "tasks.0.by"),
    ("activity-held", ("record",), "just text", "record"),
    ("issue-raised", ("raised_on",), "yesterday", "raised_on"),
    ("issue-raised", ("co_units",), [{"kind": "village", "id": "v"}], "co_units.0.kind"),
    ("issue-raised", ("co_units",), "d-1", "co_units"),
    ("progress-recorded", ("seq",), 0, "seq"),
    ("progress-recorded", ("seq",), "third", "seq"),
    ("issue-resolved", ("claimed_on",), "soon", "claimed_on"),
    ("notice-issued", ("number",), "第1号", "number"),
    ("report-published", ("number",), 0, "number"),
    ("report-published", ("title",), ["t"], "title"),
    ("report-published", ("content_hash",), "not-hex", "content_hash"),
]


def _event(topic: str, data: dict[str, Any]):
    return new_event(type=topic, source="/other-producer", district="d", data=data)


def _with(data: dict[str, Any], path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    data = copy.deepcopy(data)
    target = data
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return data


@pytest.mark.parametrize("topic", sorted(FULL))
def test_every_additive_field_with_a_good_value_validates_to_its_type(topic):
    payload = validate_payload(_event(topic, FULL[topic]), topic)
    assert not payload.model_extra  # declared, not carried as extras


@pytest.mark.parametrize("topic, path, value, names", BAD, ids=[f"{t}:{'.'.join(map(str, p))}" for t, p, _, _ in BAD])
def test_a_bad_additive_value_fails_validation_naming_the_field(topic, path, value, names):
    with pytest.raises(InvalidEvent, match=names.replace(".", r"\.")):
        validate_payload(_event(topic, _with(FULL[topic], path, value)), topic)


@pytest.mark.parametrize("topic", sorted(FULL))
def test_additive_fields_are_optional_for_other_producers(topic):
    declared_v1 = {name for name, field in CATALOG[topic].model_fields.items() if field.is_required()}
    minimal = {k: v for k, v in FULL[topic].items() if k in declared_v1}
    validate_payload(_event(topic, minimal), topic)


def test_unknown_fields_from_other_producers_are_accepted_and_kept_apart():
    data = _with(FULL["issue-raised"], ("priority",), "high")
    data["responsible"] = {**UNIT, "label": "青云巷"}
    payload = validate_payload(_event("issue-raised", data), "issue-raised")
    assert payload.model_extra == {"priority": "high"} and payload.responsible.model_extra == {"label": "青云巷"}
    channels = validate_payload(_event("directory-updated", _with(
        FULL["directory-updated"], ("people", 0, "channels"), [{"kind": "wechat", "openid": "o1"}])),
        "directory-updated").people[0].channels
    assert channels[0].kind == "wechat" and channels[0].model_extra == {"openid": "o1"}


def test_a_producer_cannot_send_an_undeclared_field():
    raised = IssueRaised.model_validate({**FULL["issue-raised"], "priority": "high"})
    with pytest.raises(UndeclaredField, match="priority"):
        new_event(type="issue-raised", source="/services/issues", district="d", data=raised)
    nested = MeetingHeld.model_validate(FULL["meeting-held"])
    nested.tasks.append(TaskAssignment(task_id="k2", title="t", due_date="2026-12-01",
                                       assigned_to=Unit(kind="street", id="s-1", label="x"), urgent=True))
    with pytest.raises(UndeclaredField, match=r"tasks\.1\.urgent.*tasks\.1\.assigned_to\.label"):
        new_event(type="meeting-held", source="/services/meetings", district="d", data=nested)


def test_a_producer_sends_typed_values_as_json():
    raised = IssueRaised.model_validate(FULL["issue-raised"])
    data = new_event(type="issue-raised", source="/services/issues", district="d", data=raised).data
    assert data["raised_on"] == "2026-11-06" and data["co_units"] == [{"kind": "department", "id": "d-1"}]
