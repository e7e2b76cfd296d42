"""Who a person is, in the words the console shows: name, roles with their Chinese labels,
and their unit with its name (and, for a community, its street). Pure: for the dev picker from
a district's directory as it travels on the compacted `directory-updated` topic (streets,
communities, departments, people); for `/api/me` from meetings' `GET /districts/{d}/me`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fourx_contracts.vocabulary import CITY_ROLE_LABELS, ROLE_LABELS


def _names(directory: Mapping[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    units: dict[tuple[str, str], dict[str, Any]] = {}
    for street in directory.get("streets") or []:
        units[("street", street["street_id"])] = {"name": street.get("name") or street["street_id"]}
    for community in directory.get("communities") or []:
        street_id = community.get("street_id")
        street = units.get(("street", street_id), {}) if street_id else {}
        units[("community", community["community_id"])] = {
            "name": community.get("name") or community["community_id"], "street_id": street_id,
            "street_name": street.get("name")}
    for department in directory.get("departments") or []:
        units[("department", department["department_id"])] = {"name": department.get("name")
                                                               or department["department_id"]}
    return units


def describe(person: Mapping[str, Any], directory: Mapping[str, Any], district: str) -> dict[str, Any]:
    """One person of a directory, in /api/me's shape."""
    unit = person.get("unit") or {}
    kind, unit_id = unit.get("kind", ""), unit.get("id", "")
    found = _names(directory).get((kind, unit_id), {})
    if kind == "district":
        found = {"name": directory.get("district_name") or district}
    described_unit: dict[str, Any] = {"kind": kind, "id": unit_id, "name": found.get("name") or unit_id}
    if kind == "community":
        described_unit["street_id"] = found.get("street_id")
        described_unit["street_name"] = found.get("street_name")
    roles = [str(r) for r in person.get("roles") or []]
    return {"person_id": person["person_id"], "name": person.get("name") or person["person_id"],
            "district": district, "district_name": directory.get("district_name") or district,
            "roles": roles, "role_labels": {r: ROLE_LABELS.get(r, r) for r in roles}, "unit": described_unit}


def find(directory: Mapping[str, Any], person_id: str) -> Mapping[str, Any] | None:
    return next((p for p in directory.get("people") or [] if p.get("person_id") == person_id), None)


def picker_entry(person: Mapping[str, Any], directory: Mapping[str, Any], district: str) -> dict[str, Any]:
    """A person as the dev picker lists them: role_labels as a list, in the roles' order."""
    described = describe(person, directory, district)
    return {**described, "role_labels": [described["role_labels"][r] for r in described["roles"]]}


def describe_city_caller(person_id: str, city: str, roles: list[str]) -> dict[str, Any]:
    """A city-level caller as /api/me answers: no district, the city (its districts are
    notify's `/cities/{city}/districts`). City people are in no district's directory: the
    name is the id the token carries."""
    return {"person_id": person_id, "name": person_id, "district": None, "city": city,
            "roles": roles, "role_labels": {r: CITY_ROLE_LABELS.get(r, ROLE_LABELS.get(r, r)) for r in roles},
            "unit": {"kind": "city", "id": city, "name": city}}


def from_meetings_me(me: Mapping[str, Any]) -> dict[str, Any]:
    """meetings' `GET /districts/{d}/me` in the shape `/api/me` answers (the console's):
    role names and a role → label map; the unit flat, with its street for a community."""
    roles = [r["role"] for r in me.get("roles") or []]
    unit = me.get("unit") or {}
    described_unit: dict[str, Any] = {"kind": unit.get("kind"), "id": unit.get("id"), "name": unit.get("name")}
    if unit.get("kind") == "community":
        street = unit.get("street") or {}
        described_unit["street_id"] = street.get("id")
        described_unit["street_name"] = street.get("name")
    answer = {"person_id": me["person_id"], "name": me.get("name") or me["person_id"],
              "district": me["district"], "district_name": me.get("district_name") or me["district"],
              "roles": roles, "role_labels": {r["role"]: r.get("label") or r["role"] for r in me.get("roles") or []},
              "unit": described_unit if unit else None}
    if me.get("operator"):
        answer["operator"] = True
    return answer
