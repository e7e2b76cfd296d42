"""Who may call which route of the issues service: the one table (role × route).

Every caller must be a person of the district's directory (the `directory-updated` copy this
service keeps; `fourx_platform.access`). Acting on an item is further limited to the item's
responsible unit and the supervising offices (domain/ownership.py)."""

from __future__ import annotations

from fourx_platform.access import ANY_PERSON, AccessTable, roles

from fourx_issues.domain.ownership import SUPERVISORS

D = "/districts/{district}"
ITEM = f"{D}/issues/{{issue_id}}"
# The units' people (ownership narrows them to the item's own unit) and the offices.
UNIT_ROLES = ("community_secretary", "street_secretary", "street_deputy_secretary", "street_org_member",
              "dept_main_leader", "dept_responsible_leader", "dept_section_chief", *sorted(SUPERVISORS))
UNIT = roles(*UNIT_ROLES)
# Supervision itself (督查督办): verifying, reopening, notices, interviews, inspections, the check.
SUPERVISION = roles(*sorted(SUPERVISORS))

ACCESS = AccessTable({
    ("POST", f"{D}/issues"): UNIT,
    ("GET", f"{D}/issues"): ANY_PERSON,
    # The same list as a workbook: whoever may read the list may take it away.
    ("GET", f"{D}/issues/export.xlsx"): ANY_PERSON,
    ("GET", ITEM): ANY_PERSON,
    ("POST", f"{ITEM}/start"): UNIT,
    ("POST", f"{ITEM}/progress"): UNIT,
    ("POST", f"{ITEM}/resolution"): UNIT,
    ("POST", f"{ITEM}/verification"): SUPERVISION,
    ("POST", f"{ITEM}/reopen"): SUPERVISION,
    ("POST", f"{ITEM}/notice"): SUPERVISION,
    ("POST", f"{ITEM}/notice/acknowledgement"): UNIT,
    ("POST", f"{ITEM}/interview"): SUPERVISION,
    ("POST", f"{ITEM}/interview/outcome"): SUPERVISION,
    ("POST", f"{D}/daily-check"): SUPERVISION,
    ("POST", f"{D}/inspections"): SUPERVISION,
    ("POST", f"{D}/inspections/{{inspection_id}}/findings"): SUPERVISION,
    ("GET", f"{D}/inspections"): ANY_PERSON,
    ("GET", f"{D}/league"): ANY_PERSON,
})
