"""Who may call which route of the meetings service: the one table (role × route).

Every caller must be a person of the district's directory (`fourx_platform.access`); the
domain then narrows further by unit (domain/roles.py: a secretary reports only for their own
community, an organisation committee member comments only within their street)."""

from __future__ import annotations

from fourx_platform.access import ANY_PERSON, OPERATORS_IN_DEV_MODE, AccessTable, roles

D = "/districts/{district}"
DAY = f"{D}/activity-days/{{meeting_id}}"

ACCESS = AccessTable({
    # The office keeps the directory; its very first import precedes anyone being in one.
    ("PUT", f"{D}/directory"): roles("party_office", first_directory=True),
    ("GET", f"{D}/directory"): ANY_PERSON,
    # The roster to fill in comes before the first import, like the import itself.
    ("GET", f"{D}/directory/template.xlsx"): roles("party_office", first_directory=True),
    # Who am I: any person of the directory (the console picks its workbench from it).
    ("GET", f"{D}/me"): ANY_PERSON,
    ("POST", f"{D}/activity-days/schedule"): roles("party_office"),
    ("GET", f"{D}/activity-days"): ANY_PERSON,
    ("GET", DAY): ANY_PERSON,
    # Any unit proposes topics (in its own name); the office screens and selects them.
    ("POST", f"{DAY}/topics"): ANY_PERSON,
    ("POST", f"{DAY}/topics/{{topic_id}}/select"): roles("party_office"),
    ("GET", f"{DAY}/reports/{{community_id}}/form"): ANY_PERSON,
    # The four standing items: each is one role's part of the day.
    ("PUT", f"{DAY}/reports/{{community_id}}"): roles("community_secretary"),
    ("PUT", f"{DAY}/comments/{{community_id}}"): roles("street_org_member"),
    ("POST", f"{DAY}/tasks"): roles("dept_responsible_leader"),
    ("PUT", f"{DAY}/summary"): roles("org_deputy_head"),
    ("POST", f"{DAY}/close"): roles("org_deputy_head", "party_office"),
    ("POST", f"{D}/activities"): roles("party_office"),
    ("GET", f"{D}/activities"): ANY_PERSON,
    ("GET", f"{D}/clock"): ANY_PERSON,
    # Moving a district's "today" is a rehearsal aid: operators, and only in dev mode.
    ("PUT", f"{D}/clock"): OPERATORS_IN_DEV_MODE,
})
