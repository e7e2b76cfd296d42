"""Every domain event of the meetings service has an integration mapper; an unknown one raises."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest
from fourx_meetings.adapters import integration
from fourx_meetings.domain import events
from fourx_meetings.domain.calendar import activity_day_date
from fourx_meetings.domain.model import ActivityDay, UnitRef

from tests.support.mapping import domain_event_types


def test_every_domain_event_type_has_a_mapper():
    assert domain_event_types(events)  # the module was read
    assert domain_event_types(events) == set(integration.MAPPERS)


@dataclass(frozen=True)
class SomethingNew:
    district: str


def test_an_unmapped_event_raises_instead_of_being_dropped():
    day = ActivityDay.schedule("d", 2026, 11, activity_day_date(2026, 11), "v")
    day.pending_events.append(SomethingNew("d"))
    with pytest.raises(integration.UnmappedEvent, match="SomethingNew"):
        integration.day_events(day, None)


def test_the_table_maps_in_the_order_raised():
    day = ActivityDay.schedule("d", 2026, 11, activity_day_date(2026, 11), "v")
    day.propose_topic("t1", "停车难", UnitRef("community", "c-1"), "p", date(2026, 10, 25))
    assert [e.type for e in integration.day_events(day, None)] == ["meeting-scheduled", "topic-proposed"]
