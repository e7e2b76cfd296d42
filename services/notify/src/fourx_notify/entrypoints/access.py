"""Who may call which route of the notify service: the one table (role × route).

Every caller must be a person of the district's directory (the latest `directory-updated`
this service stored; `fourx_platform.access`). An inbox is always the caller's own."""

from __future__ import annotations

from fourx_contracts.vocabulary import CITY_ROLES
from fourx_platform.access import ANY_PERSON, AccessTable, roles

from fourx_notify.domain.distribution import BULLETIN_ROLES

D = "/districts/{district}"
WEEK = f"{D}/bulletins/{{week}}"
# The bulletin's recipients (distribution.BULLETIN_ROLES) and the centre's director.
READERS = roles(*sorted(BULLETIN_ROLES | {"org_deputy_head"}))
OFFICE = roles("party_office", "org_deputy_head")
C = "/cities/{city}"
CITY = roles(*CITY_ROLES)

ACCESS = AccessTable({
    # The district's bulletins, newest first; then one bulletin in each of its forms: JSON, HTML, Markdown, Word.
    ("GET", f"{D}/bulletins"): READERS,
    **{("GET", f"{WEEK}{form}"): READERS for form in ("", "/html", "/markdown", "/docx")},
    ("GET", f"{WEEK}/deliveries"): OFFICE,
    ("GET", f"{WEEK}/acknowledgements"): OFFICE,
    ("GET", f"{D}/inbox"): ANY_PERSON,
    ("POST", f"{D}/inbox/{{item_id}}/acknowledge"): ANY_PERSON,
    # The outcome figures: who reads the bulletin reads them; the summary is the office's to write.
    ("GET", f"{D}/outcomes"): READERS,
    ("GET", f"{D}/outcomes/summary.docx"): OFFICE,
    # The city level: read-only (fourx_platform.access refuses a city route that is not a GET),
    # its districts only.
    **{("GET", f"{C}{route}"): CITY for route in ("/districts", "/outcomes", "/league", "/trend",
                                                  "/districts/{district}/outcomes")},
})
