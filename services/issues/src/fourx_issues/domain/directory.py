"""The district's organisation as the issues service needs it: which street a community
belongs to, and who answers for a unit. Built from the `directory-updated` snapshot."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fourx_issues.domain.model import UnitRef

# Who answers for a unit's supervision items, most responsible first.
RESPONSIBLE_ROLES = {
    "community": ("community_secretary",),
    "street": ("street_org_member", "street_secretary", "street_deputy_secretary"),
    "department": ("dept_responsible_leader", "dept_main_leader", "dept_section_chief"),
    "district": ("party_office", "org_deputy_head"),
}


@dataclass
class Directory:
    street_of: dict[str, str] = field(default_factory=dict)        # community id → street id
    streets: list[str] = field(default_factory=list)
    communities: list[str] = field(default_factory=list)
    people: list[dict[str, Any]] = field(default_factory=list)
    names: dict[tuple[str, str], str] = field(default_factory=dict)  # (kind, id) → the unit's name

    @classmethod
    def from_snapshot(cls, snapshot: dict[str, Any] | None) -> "Directory":
        if not snapshot:
            return cls()
        return cls(
            street_of={c["community_id"]: c["street_id"] for c in snapshot.get("communities", [])},
            streets=[s["street_id"] for s in snapshot.get("streets", [])],
            communities=[c["community_id"] for c in snapshot.get("communities", [])],
            people=list(snapshot.get("people", [])),
            names={**{("street", s["street_id"]): s.get("name", "") for s in snapshot.get("streets", [])},
                   **{("community", c["community_id"]): c.get("name", "") for c in snapshot.get("communities", [])},
                   **{("department", d["department_id"]): d.get("name", "")
                      for d in snapshot.get("departments", [])},
                   ("district", "-"): snapshot.get("district_name") or ""},
        )

    def has_person(self, person_id: str) -> bool:
        return any(p.get("person_id") == person_id for p in self.people)

    def person_name(self, person_id: str | None) -> str | None:
        return next((p.get("name") for p in self.people if p.get("person_id") == person_id), None)

    def unit_name(self, unit: UnitRef | None) -> str | None:
        """The unit's name in the directory (None when it has none there)."""
        return (self.names.get((unit.kind, unit.id)) or None) if unit else None

    def place(self, unit: UnitRef) -> tuple[str | None, str | None]:
        """(street_id, community_id) of a unit; departments and the district have neither."""
        if unit.kind == "community":
            return self.street_of.get(unit.id), unit.id
        if unit.kind == "street":
            return unit.id, None
        return None, None

    def responsible_person(self, unit: UnitRef) -> str | None:
        for role in RESPONSIBLE_ROLES.get(unit.kind, ()):
            for person in self.people:
                person_unit = person.get("unit") or {}
                if role in person.get("roles", ()) and person_unit.get("kind") == unit.kind \
                        and (unit.kind == "district" or person_unit.get("id") == unit.id):
                    return person["person_id"]
        return None

    def owners(self) -> dict[tuple[str, str], str]:
        """(unit kind, unit id) → the person who answers for that unit's items."""
        units = {(p["unit"]["kind"], p["unit"]["id"]) for p in self.people if p.get("unit")}
        found = {unit: self.responsible_person(UnitRef(*unit)) for unit in units}
        return {unit: person for unit, person in found.items() if person}
