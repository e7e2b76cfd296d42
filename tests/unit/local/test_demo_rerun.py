"""`make demo` again and again: which district a run plays, and how a failing step reads."""

from __future__ import annotations

import itertools
import json

import httpx
import pytest

from fourx_local.demo.district import candidates, fresh_district, skipped_note
from fourx_local.demo.failure import DemoFailed, http_error, reason


def played_in(districts: set[str]):
    async def played(district: str) -> bool:
        return district in districts
    return played


def test_candidates_are_the_base_then_numbered_from_two():
    assert list(itertools.islice(candidates("demo-gulou"), 4)) == [
        "demo-gulou", "demo-gulou-2", "demo-gulou-3", "demo-gulou-4"]


async def test_a_fresh_stack_plays_the_district_asked_for():
    assert await fresh_district("demo-gulou", played_in(set())) == ("demo-gulou", [])


async def test_each_later_run_plays_the_next_district_nobody_played():
    played: set[str] = set()
    runs = []
    for _ in range(3):
        district, _skipped = await fresh_district("demo-gulou", played_in(played))
        played.add(district)  # the run imports its directory
        runs.append(district)
    assert runs == ["demo-gulou", "demo-gulou-2", "demo-gulou-3"]


async def test_a_gap_left_by_a_run_that_failed_early_is_played_next():
    # demo-gulou-2's run failed before importing its directory: the district is still empty.
    district, skipped = await fresh_district("demo-gulou", played_in({"demo-gulou", "demo-gulou-3"}))
    assert (district, skipped) == ("demo-gulou-2", ["demo-gulou"])


def test_the_note_names_what_was_left_alone_briefly():
    assert skipped_note([]) == "此前未演示过"
    assert skipped_note(["demo-gulou", "demo-gulou-2"]) == "demo-gulou、demo-gulou-2 已演示过，保留原样"
    many = [f"demo-gulou-{n}" for n in range(2, 12)]
    assert skipped_note(["demo-gulou", *many]) == "demo-gulou … demo-gulou-11 共 11 个区已演示过，保留原样"


def _response(status: int, body: object, method: str = "POST",
              url: str = "http://127.0.0.1:8102/districts/demo-gulou/issues/i-1/progress") -> httpx.Response:
    return httpx.Response(status, content=json.dumps(body).encode(), request=httpx.Request(method, url),
                          headers={"content-type": "application/json"})


def test_a_refusal_reads_as_the_request_and_the_services_message():
    refused = _response(409, {"detail": {"field": "status",
                                         "message": "status: the item is closed; reopen it before recording progress"}})
    assert http_error(refused) == ("POST /districts/demo-gulou/issues/i-1/progress → 409："
                                   "status: the item is closed; reopen it before recording progress")
    assert http_error(_response(404, {"detail": "no such item"}, "GET")) == \
        "GET /districts/demo-gulou/issues/i-1/progress → 404：no such item"


def test_every_kind_of_failure_is_one_line():
    request = httpx.Request("GET", "http://127.0.0.1:8101/districts/demo-gulou/directory")
    down = reason(httpx.ConnectError("[Errno 111] Connection refused", request=request))
    assert down.startswith("无法连接 http://127.0.0.1:8101")
    slow = reason(httpx.ReadTimeout("timed out", request=request))
    assert slow == "GET http://127.0.0.1:8101/districts/demo-gulou/directory 超时"
    status = reason(httpx.HTTPStatusError("boom", request=request, response=_response(500, "Internal\nServer Error")))
    assert status.startswith("POST /districts/demo-gulou/issues/i-1/progress → 500")
    assert reason(RuntimeError("督办事项未全部生成：缺少 ['m/t1']")) == "督办事项未全部生成：缺少 ['m/t1']"
    assert reason(KeyError("notice")) == "KeyError: 'notice'"
    long = reason(RuntimeError("x" * 5000 + "\n" + "y"))
    for text in (down, slow, status, long):
        assert "\n" not in text and len(text) <= 400


def test_the_operator_reads_which_step_failed_and_why():
    failed = DemoFailed("二、督办清单：问题、写实、预警与督办", "POST /x → 409：closed")
    assert str(failed) == "演示失败【二、督办清单：问题、写实、预警与督办】：POST /x → 409：closed"
    assert reason(failed) == "POST /x → 409：closed"


@pytest.mark.parametrize("body", [b"not json", b"[1, 2]"])
def test_a_body_that_is_not_a_json_object_is_quoted_as_text(body):
    response = httpx.Response(502, content=body, request=httpx.Request("GET", "http://h/districts/d/x"))
    assert http_error(response) == f"GET /districts/d/x → 502：{body.decode()}"
