"""The ACL table follows the catalog's producer column and the services' subscriptions."""

from __future__ import annotations

from fourx_platform.kafka_acl import (
    ADMIN, CONSUMES, DESCRIBE, GROUP, OPS, PORTAL, READ, SERVICES, TOPIC, WRITE, acls, all_acls, group_prefix,
)
from fourx_contracts.events import TOPICS, dlq_topic
from fourx_contracts.producers import PRODUCERS, SERVICE_SOURCES, expected_source, topics_of


def written(principal: str) -> set[str]:
    return {a.name for a in acls(principal) if a.resource_type == TOPIC and a.operation == WRITE}


def read(principal: str) -> set[str]:
    return {a.name for a in acls(principal) if a.resource_type == TOPIC and a.operation == READ}


def test_each_service_writes_only_what_it_owns_and_the_dlqs_of_what_it_consumes():
    for service in SERVICES:
        catalog_topics = written(service) & set(TOPICS)
        assert catalog_topics == set(topics_of(service)) | ({"report-requested"} if service == "notify" else set())
        assert written(service) - set(TOPICS) == {dlq_topic(t) for t in CONSUMES[service]}
    assert "meeting-held" not in written("notify") and "issue-raised" not in written("meetings")


def test_the_consumed_topics_are_what_the_services_subscribe_to():
    from fourx_issues.entrypoints import consumers as issues
    from fourx_meetings.service_layer.handlers import SUPERVISION_TOPICS
    from fourx_notify.entrypoints import consumers as notify

    assert set(CONSUMES["issues"]) == set(issues.TOPICS) and set(read("issues")) == set(issues.TOPICS)
    assert set(CONSUMES["meetings"]) == set(SUPERVISION_TOPICS)
    assert set(CONSUMES["notify"]) == set(notify.READ_MODEL_TOPICS) | {"report-requested"}
    for group in (issues.GROUP, notify.EVENTS_GROUP, notify.REPORTS_GROUP):
        service = group.split("-")[1]
        assert any(a.resource_type == GROUP and group.startswith(a.name) for a in acls(service))


def test_ops_may_ask_for_a_report_and_read_and_the_admin_needs_no_entry():
    from fourx_ops.dlq import LEDGER_TOPIC

    assert written(OPS) == {"report-requested"}
    assert read(OPS) == set(TOPICS) | {dlq_topic(t) for t in TOPICS} | {LEDGER_TOPIC}
    # Every consumer group, described only (lag); reading in a group stays the services' own.
    assert [(a.name, a.operation) for a in acls(OPS) if a.resource_type == GROUP] == [("*", DESCRIBE)]
    assert acls(ADMIN) == [] and group_prefix("notify") == "fourx-notify"
    assert len(all_acls()) == len(set(all_acls()))


def test_every_owned_topic_names_its_service_source():
    for topic, producer in PRODUCERS.items():
        assert expected_source(topic) == (SERVICE_SOURCES[producer] if producer else None)


def test_the_portal_reads_the_catalog_and_nothing_else():
    """The web console's BFF streams events to browsers: read-only, no group, no DLQ."""
    entries = acls(PORTAL)
    assert read(PORTAL) == set(TOPICS)
    assert {a.operation for a in entries} == {READ} and {a.resource_type for a in entries} == {TOPIC}
    assert not written(PORTAL)
