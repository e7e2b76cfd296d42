"""How `fourx-dev up --replicas N` names and places each service's replicas."""

from __future__ import annotations

from fourx_local.stack import SERVICES, Component, StackState, replica_name, service_of


def test_replicas_are_named_after_their_service_and_the_first_keeps_its_name():
    assert [replica_name("issues", n) for n in (1, 2, 3)] == ["issues", "issues-2", "issues-3"]
    assert [service_of(name) for name in ("issues", "issues-3", "kafka", "kafka-1", "store")] == \
        ["issues", "issues", None, None, None]
    assert all(service_of(replica_name(s, n)) == s for s in SERVICES for n in range(1, 10))


def test_the_state_gives_the_first_replica_as_the_service_url_and_every_replica_beside_it():
    state = StackState("k", "m", [Component("kafka", 1, "k"), Component("notify", 2, "http://a"),
                                  Component("notify-2", 3, "http://b"), Component("notify-3", 4, "http://c")])
    assert state.urls == {"notify": "http://a"}
    assert state.replica_urls("notify") == ["http://a", "http://b", "http://c"]
