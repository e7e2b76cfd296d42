"""The Monday run's waits and pool, with fakes: one shared read-model check for many reports,
one snapshot query per tick for many waiters, bulletins built side by side (bounded), one
district's reports in order, and a failure failing the batch (the platform then applies its
reports one by one, under the failure policy, and parks the bad one in the DLQ)."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

import pytest
from fourx_contracts.envelope import new_event
from fourx_contracts.events import ReportRequested
from fourx_platform.kafka import ReceivedEvent

from fourx_notify.adapters.answers import SnapshotAnswers
from fourx_notify.adapters.consumer_progress import SharedCheck
from fourx_notify.entrypoints import consumers


async def test_many_callers_share_one_check_and_none_is_answered_by_a_check_begun_before_it_asked():
    began: list[int] = []
    release = asyncio.Event()

    async def check(timeout: float) -> bool:
        began.append(len(began) + 1)
        await release.wait()
        return True

    shared = SharedCheck(check)
    first = asyncio.create_task(shared(1.0))
    await asyncio.sleep(0)           # check 1 is running
    late = [asyncio.create_task(shared(1.0)) for _ in range(200)]   # asked while it ran
    await asyncio.sleep(0)
    release.set()
    assert all(await asyncio.gather(first, *late))
    assert began == [1, 2]           # 201 callers, 2 checks: the late ones needed one of their own


async def test_snapshot_waiters_share_one_query_per_tick_and_each_leaves_when_its_own_answer_is_there():
    answered: set[str] = set()
    queries: list[int] = []

    async def lookup(requests):
        requests = list(requests)
        queries.append(len(requests))
        return {rid for _, rid in requests if rid in answered}

    answers = SnapshotAnswers(lookup, poll_seconds=0.01)
    waits = {f"r{i}": asyncio.create_task(answers.wait(f"d{i}", f"r{i}", 0.5)) for i in range(100)}
    await asyncio.sleep(0.03)
    answered.update(f"r{i}" for i in range(50))
    done = await asyncio.gather(*waits.values())
    assert done == [True] * 50 + [False] * 50
    assert len(queries) < 100 and max(queries) == 100     # one query asks for every waiter
    await answers.stop()


def _request(district: str, week: str, offset: int) -> ReceivedEvent:
    event = new_event(type="report-requested", source="/tests", district=district, data=ReportRequested(week=week))
    return ReceivedEvent(event, ReportRequested(week=week), "report-requested", 0, offset)


class _Bulletins:
    """Bulletins already stored, by the request that made them."""

    def __init__(self, made: set[str] = frozenset()):
        self.made = set(made)

    async def made_for(self, requests):
        return {rid for _, _, rid in requests if rid in self.made}


class _Service:
    def __init__(self, concurrency: int, made: set[str] = frozenset()):
        self._bulletins = _Bulletins(made)
        self.settings = SimpleNamespace(catch_up_seconds=1.0, snapshot_wait_seconds=1.0,
                                        report_concurrency=concurrency, public_url=None)
        self.checks = 0
        self.progress = SimpleNamespace(caught_up_shared=self._caught_up)
        self.answers = SimpleNamespace(wait=self._answered)

    async def _caught_up(self, timeout):
        self.checks += 1
        return True

    async def _answered(self, district, request_id, timeout):
        await asyncio.sleep(0.01)
        return True

    def event_store(self): return None
    def bulletins(self): return self._bulletins
    def deliveries(self): return None
    def after_bulletin(self): return None


async def test_reports_are_built_side_by_side_bounded_and_one_districts_in_order(monkeypatch):
    running, most, made = 0, 0, []

    async def publish(cmd, *args):
        nonlocal running, most
        running += 1
        most = max(most, running)
        await asyncio.sleep(0.02)
        made.append((cmd.district, cmd.week))
        running -= 1

    monkeypatch.setattr(consumers.handlers, "publish_bulletin", publish)
    service = _Service(concurrency=8)
    batch = [_request(f"d{i}", "2026-W48", i) for i in range(40)]
    batch += [_request("d0", "2026-W49", 40), _request("d0", "2026-W50", 41)]
    started = asyncio.get_running_loop().time()
    await consumers.produce_reports(service, batch)
    spent = asyncio.get_running_loop().time() - started
    assert len(made) == 42 and most == 8                    # bounded, and really concurrent
    assert spent < 40 * 0.02                                # not one after another
    assert [w for d, w in made if d == "d0"] == ["2026-W48", "2026-W49", "2026-W50"]
    assert service.checks <= 1 + 42                         # once for the batch, once per answer (shared)


async def test_a_report_that_fails_fails_the_batch_after_the_others_are_made(monkeypatch):
    made = []

    async def publish(cmd, *args):
        if cmd.district == "bad":
            raise ValueError("cannot render")
        made.append(cmd.district)

    monkeypatch.setattr(consumers.handlers, "publish_bulletin", publish)
    batch = [_request("a", "2026-W48", 0), _request("bad", "2026-W48", 1), _request("b", "2026-W48", 2)]
    with pytest.raises(ValueError, match="cannot render"):
        await consumers.produce_reports(_Service(concurrency=4), batch)
    assert sorted(made) == ["a", "b"]


async def test_a_request_whose_bulletin_is_stored_is_not_made_again(monkeypatch):
    made = []

    async def publish(cmd, *args):
        made.append(cmd.request_id)

    monkeypatch.setattr(consumers.handlers, "publish_bulletin", publish)
    batch = [_request("a", "2026-W48", 0), _request("b", "2026-W48", 1)]
    service = _Service(concurrency=4, made={batch[0].envelope.id})   # a's was published twice
    await consumers.produce_reports(service, batch + [batch[0]])
    assert made == [batch[1].envelope.id]
