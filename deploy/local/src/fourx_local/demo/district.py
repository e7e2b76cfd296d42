"""Which district a demo run plays: always one that has not been played yet.

Invariant: a run never writes into a district an earlier run already wrote into. The demo's
month is a story told from an empty district (a topic refused after the deadline, an item
going overdue, a notice, an interview), and its bulletin must count only this run; replaying
those steps against what an earlier run left behind fails half-way (the "resolved" item is
already closed) or doubles the numbers. So the district asked for is the base of a sequence,
`base`, `base-2`, `base-3`, …, and the run takes the first one the stack does not know.

A district counts as played once the meetings service holds its organisation directory: that
is the demo's first write, so a run that failed before it leaves its district still fresh.
The stack is asked, not a local file, because the stack may be external (KAFKA_BOOTSTRAP,
MONGO_URI) and its data outlives `.fourx/`.
"""

from __future__ import annotations

import itertools
from collections.abc import Awaitable, Callable, Iterator

import httpx
from fourx_contracts.auth import PLATFORM_ROLE, issue_token

from fourx_local.demo.failure import http_error

# Far beyond any number of demo runs; only there so a probe that always says "played" ends.
MAX_RUNS = 100_000


def candidates(base: str) -> Iterator[str]:
    """`base`, then `base-2`, `base-3`, …: the ids a run tries in turn."""
    yield base
    for n in itertools.count(2):
        yield f"{base}-{n}"


async def fresh_district(base: str, played: Callable[[str], Awaitable[bool]]) -> tuple[str, list[str]]:
    """The first candidate not played yet, and the ones skipped on the way."""
    skipped: list[str] = []
    for district in itertools.islice(candidates(base), MAX_RUNS):
        if not await played(district):
            return district, skipped
        skipped.append(district)
    raise RuntimeError(f"{base} 之后的 {MAX_RUNS} 个演示区都已演示过")


def skipped_note(skipped: list[str]) -> str:
    """For people: which earlier runs' districts were left alone (short when there are many)."""
    if not skipped:
        return "此前未演示过"
    if len(skipped) <= 3:
        return f"{'、'.join(skipped)} 已演示过，保留原样"
    return f"{skipped[0]} … {skipped[-1]} 共 {len(skipped)} 个区已演示过，保留原样"


class DirectoryProbe:
    """`played` over HTTP: does the meetings service hold this district's directory?"""

    def __init__(self, meetings_url: str) -> None:
        self._client = httpx.AsyncClient(base_url=meetings_url, timeout=10.0)

    async def __call__(self, district: str) -> bool:
        token = issue_token("demo-operator", district, [PLATFORM_ROLE])
        response = await self._client.get(f"/districts/{district}/directory",
                                          headers={"Authorization": f"Bearer {token}"})
        if response.status_code == 404:
            return False
        if response.status_code == 200:
            return True
        raise RuntimeError(http_error(response))

    async def aclose(self) -> None:
        await self._client.aclose()
