"""Dev sign-in (the local stack, the tests — `FOURX_DEV_MODE=1` only): sign in as any person
of any district's directory, with the roles the directory gives them, by a token signed with
the local stack's own development key (fourx_platform.devkeys, `FOURX_AUTH_PRIVATE_KEY_FILE`).
Outside dev mode none of this is built: its routes answer 404 and the portal refuses to start
when handed a signing key (it never signs anything in production)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from fourx_contracts.vocabulary import CITY_ROLES
from fourx_platform import devkeys

from fourx_portal import people
from fourx_portal.events import DirectoryFeed


class DevSignInUnavailable(RuntimeError):
    pass


@dataclass(frozen=True)
class DevSignIn:
    directories: DirectoryFeed
    private_key_file: Path
    issuer: str
    audience: str
    ttl: timedelta

    @classmethod
    def from_environment(cls, directories: DirectoryFeed, issuer: str, audience: str, ttl: timedelta) -> "DevSignIn":
        path = os.environ.get(devkeys.PRIVATE_KEY_ENV)
        if not path:
            raise DevSignInUnavailable(f"dev sign-in needs the local stack's signing key ({devkeys.PRIVATE_KEY_ENV})")
        return cls(directories, Path(path), issuer, audience, ttl)

    def people(self, district: str | None) -> list[dict[str, Any]]:
        found = []
        for name, directory in self.directories.all():
            if district is not None and name != district:
                continue
            found += [people.picker_entry(p, directory, name) for p in directory.get("people") or []]
        return found

    def token_for(self, person_id: str, district: str) -> str | None:
        """A session token for the person, with the directory's roles; None: no such person."""
        directory = self.directories.directory(district)
        person = people.find(directory, person_id) if directory else None
        if person is None:
            return None
        return devkeys.issue_token(person_id, district, person.get("roles") or [], ttl=self.ttl,
                                   private_key_file=self.private_key_file, issuer=self.issuer,
                                   audience=self.audience)

    def city_token_for(self, person_id: str, city: str, city_claim: str) -> str | None:
        """A city-level token (role city_org_dept, the `city` claim, no district) for a city that
        some district's directory names; None: no directory names it. City people are in no
        district's directory, so any id will do in dev mode."""
        if city not in self.directories.cities():
            return None
        return devkeys.issue_token(person_id, None, list(CITY_ROLES), ttl=self.ttl,
                                   private_key_file=self.private_key_file, issuer=self.issuer,
                                   audience=self.audience, **{city_claim: city})
