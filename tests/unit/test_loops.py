"""The one background loop (`fourx_platform.loops.every`): it runs its job, waits the interval
or less when woken, outlives a failing round (a transient one logged as a warning, anything
else with its traceback), and stops when cancelled, also in the middle of a round. And
`poll_until`: yes as soon as the check says so, no when time is up."""

from __future__ import annotations

import asyncio

import pytest
from aiokafka.errors import KafkaConnectionError
from fourx_platform.kafka import KafkaSettings
from fourx_platform.loops import every, poll_until
from fourx_platform.mongo import MongoSettings
from fourx_platform.runtime import ServiceRuntime
from structlog.testing import capture_logs

from tests.support.flaky import Flaky


async def until(condition, timeout: float = 2.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "condition not met in time"
        await asyncio.sleep(0.001)


async def test_runs_at_once_then_every_interval():
    job = Flaky()
    task = asyncio.create_task(every(0.005, job))
    try:
        await until(lambda: job.calls >= 4)
    finally:
        task.cancel()
    assert job.calls >= 4


async def test_waits_the_interval_between_rounds():
    job = Flaky()
    task = asyncio.create_task(every(60, job))
    await until(lambda: job.calls == 1)
    await asyncio.sleep(0.05)
    task.cancel()
    assert job.calls == 1  # the first round runs at once, the second not before 60 s


async def test_a_wake_starts_the_next_round_before_the_interval():
    job, wake = Flaky(), asyncio.Event()
    task = asyncio.create_task(every(60, job, wake=wake))
    try:
        await until(lambda: job.calls == 1)
        wake.set()
        await until(lambda: job.calls == 2, timeout=1.0)
        assert not wake.is_set()  # taken by the round it started
        wake.set()
        await until(lambda: job.calls == 3, timeout=1.0)
    finally:
        task.cancel()


async def test_a_wake_during_a_round_brings_another_round():
    wake, rounds = asyncio.Event(), []

    async def job() -> None:
        rounds.append(1)
        if len(rounds) == 1:
            wake.set()  # something new arrived while this round was running

    task = asyncio.create_task(every(60, job, wake=wake))
    try:
        await until(lambda: len(rounds) == 2, timeout=1.0)
    finally:
        task.cancel()


async def test_survives_failing_rounds_and_logs_them_by_kind():
    job = Flaky(ValueError("a bug"), KafkaConnectionError("broker away"))
    with capture_logs() as logs:
        task = asyncio.create_task(every(0.001, job, name="test-job"))
        try:
            await until(lambda: job.calls >= 4)
        finally:
            task.cancel()
    failed = [entry for entry in logs if entry["event"] == "background round failed; will retry"]
    assert [(e["log_level"], e["job"]) for e in failed] == [("error", "test-job"), ("warning", "test-job")]
    assert failed[0]["exc_info"] is True               # a bug: with its traceback
    assert "broker away" in failed[1]["error"]         # transient: one line
    assert "exc_info" not in failed[1]
    assert job.calls >= 4  # the rounds after the failures ran


async def test_cancel_stops_it_also_in_the_middle_of_a_round():
    started, finished = asyncio.Event(), []

    async def slow() -> None:
        started.set()
        await asyncio.sleep(60)
        finished.append(1)

    task = asyncio.create_task(every(0.001, slow))
    await asyncio.wait_for(started.wait(), 1.0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(task, 1.0)
    assert task.cancelled() and finished == []


async def test_cancel_stops_it_while_waiting():
    job, wake = Flaky(), asyncio.Event()
    task = asyncio.create_task(every(60, job, wake=wake))
    await until(lambda: job.calls == 1)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(task, 1.0)
    wake.set()
    await asyncio.sleep(0.01)
    assert job.calls == 1


async def test_an_interval_function_is_read_after_every_round():
    job, interval = Flaky(), [0.001]
    task = asyncio.create_task(every(lambda: interval[0], job))
    try:
        await until(lambda: job.calls >= 3)
        interval[0] = 60.0  # a settings change: the next wait is the long one
        await asyncio.sleep(0.01)
        seen = job.calls
        await asyncio.sleep(0.05)
        assert job.calls == seen
    finally:
        task.cancel()


async def test_the_runtime_runs_a_job_in_the_background_until_stopped_and_never_when_off():
    runtime = ServiceRuntime("test", KafkaSettings(), MongoSettings(), "unused")
    off, on = Flaky(), Flaky()
    assert runtime.run_every("off", 0, off) is None
    task = runtime.run_every("on", 0.001, on)
    assert task is not None and task.get_name() == "test:on"
    await until(lambda: on.calls >= 2)
    await runtime.stop()
    assert task.cancelled() and off.calls == 0


async def test_poll_until_says_yes_as_soon_as_the_check_does():
    answers = iter([False, False, True])
    asked = []

    async def check() -> bool:
        asked.append(1)
        return next(answers)

    assert await poll_until(check, timeout=5, seconds=0.001) is True
    assert len(asked) == 3


async def test_poll_until_says_no_when_time_is_up():
    asked = []

    async def never() -> bool:
        asked.append(1)
        return False

    start = asyncio.get_running_loop().time()
    assert await poll_until(never, timeout=0.05, seconds=0.01) is False
    assert 0.05 <= asyncio.get_running_loop().time() - start < 1.0 and len(asked) >= 2
