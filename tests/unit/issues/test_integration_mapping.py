"""Every domain event of the issues service has an integration mapper; an unknown one raises."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest
from fourx_issues.adapters import integration
from fourx_issues.domain import events
from fourx_issues.domain.model import Source, SupervisionItem, UnitRef

from tests.support.mapping import domain_event_types


def test_every_domain_event_type_has_a_mapper():
    assert domain_event_types(events)  # the module was read
    assert domain_event_types(events) == set(integration.MAPPERS)


@dataclass(frozen=True)
class SomethingNew:
    issue_id: str


def test_an_unmapped_event_raises_instead_of_being_dropped():
    item = SupervisionItem.raise_item(
        district="d", issue_id="i1", title="加装电梯", description="", source=Source("community", "c1"),
        responsible=UnitRef("community", "c1"), due_date=date(2026, 12, 1), raised_on=date(2026, 11, 6))
    item.pending_events.append(SomethingNew("i1"))
    with pytest.raises(integration.UnmappedEvent, match="SomethingNew"):
        integration.item_events(item)
