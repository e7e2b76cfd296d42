"""Acceptance (issue 14): `make deploy-check` passes on the repository and catches a broken
manifest; the rendered Kubernetes resources hold, for every catalog topic and its DLQ, a
KafkaTopic with replication factor 3 and min.insync.replicas 2 (read from the catalog, compared
with what fourx_platform.kafka.ensure_topics creates); the KafkaUsers carry kafka_acl's ACLs;
the compose file and the Dockerfiles are checked."""

from __future__ import annotations

import asyncio
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from deploy import versions
from deploy.checks import __main__ as deploy_check
from deploy.checks import compose, dockerfiles, k8s
from deploy.k8s import render
from fourx_contracts.events import COMPACTED_TOPICS, TOPICS, dlq_topic
from fourx_platform import kafka as platform_kafka
from fourx_platform import kafka_acl

ROOT = Path(__file__).resolve().parents[2]
LAST_LINE = re.compile(r"^deploy-check: (\d+) manifests valid, (\d+) errors$")


@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("k8s") / "production"
    render.write(render.render("production"), out)
    return out


def _objects(directory: Path, kind: str | None = None) -> list[dict]:
    return [o for _, o in k8s.load_manifests(directory) if kind is None or o["kind"] == kind]


# --- (a) the whole check ----------------------------------------------------------------------
def test_make_deploy_check_passes_and_ends_with_its_line():
    done = subprocess.run([sys.executable, "-m", "deploy.checks"], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)
    lines = done.stdout.strip().splitlines()
    assert done.returncode == 0, done.stdout + done.stderr
    match = LAST_LINE.match(lines[-1])
    assert match and match.group(2) == "0", lines[-1]
    expected = sum(len(objs) for overlay in render.overlays() for objs in render.render(overlay).values())
    assert int(match.group(1)) == expected > 100


# --- (b) a broken manifest fails ----------------------------------------------------------------
def _break(directory: Path, file: str, old: str, new: str) -> None:
    path = directory / file
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


@pytest.mark.parametrize(("file", "old", "new", "expect"), [
    ("30-meetings.yaml", "replicas: 3", "replicas: three", "spec.replicas"),
    ("30-meetings.yaml", "path: /health", "paht: /health", "paht"),
    ("11-kafka-topics.yaml", "replicas: 3", "replicas: '3'", "spec.replicas"),
    ("12-kafka-users.yaml", "type: topic", "type: topics", "resource.type"),
    ("32-notify.yaml", "scaleTargetRef:", "scaleTarget:", "scaleTarget"),
    ("31-issues.yaml", "name: fourx-issues", "name: Fourx_Issues", "DNS-1123"),
    ("20-common-config.yaml", "KAFKA_BOOTSTRAP:", "KAFKA_BOOTSTRAPS:", "KAFKA_BOOTSTRAPS"),
])
def test_a_changed_manifest_fails_the_check(rendered, tmp_path, file, old, new, expect):
    copy = tmp_path / "production"
    shutil.copytree(rendered, copy)
    _break(copy, file, old, new)
    lines: list[str] = []
    assert deploy_check.run([copy], out=lines.append) == 1
    match = LAST_LINE.match(lines[-1])
    assert match and int(match.group(2)) >= 1, lines[-1]
    assert any(line.startswith("ERROR k8s:") and expect in line for line in lines), lines


def test_the_unchanged_copy_passes(rendered, tmp_path):
    copy = tmp_path / "production"
    shutil.copytree(rendered, copy)
    lines: list[str] = []
    assert deploy_check.run([copy], out=lines.append) == 0, lines
    assert lines[-1] == f"deploy-check: {len(_objects(copy))} manifests valid, 0 errors"


# --- (c) the topics, from the catalog -------------------------------------------------------------
def test_every_catalog_topic_and_its_dlq_is_a_kafka_topic_with_replicas_3_and_min_insync_2(rendered):
    topics = {t["spec"]["topicName"]: t for t in _objects(rendered, "KafkaTopic")}
    wanted = [*TOPICS, *(dlq_topic(t) for t in TOPICS)]
    assert len(wanted) == 2 * len(TOPICS) >= 34
    for name in wanted:
        topic = topics[name]
        assert topic["apiVersion"] == "kafka.strimzi.io/v1"
        assert topic["metadata"]["labels"]["strimzi.io/cluster"] == "fourx"
        assert topic["spec"]["replicas"] == 3
        assert topic["spec"]["config"]["min.insync.replicas"] == "2"
        assert topic["spec"]["partitions"] == 12
        compacted = topic["spec"]["config"].get("cleanup.policy") == "compact"
        assert compacted == (name in COMPACTED_TOPICS), name
    assert set(topics) == {*wanted, kafka_acl.REPLAY_LEDGER}


def test_the_topics_have_the_configs_ensure_topics_gives_them(rendered, monkeypatch):
    """Not written twice: the renderer's configs are those the platform creates topics with."""
    created: list = []

    class FakeAdmin:
        def __init__(self, **_):
            pass

        async def start(self):
            pass

        async def close(self):
            pass

        async def list_topics(self):
            return []

        async def create_topics(self, new_topics):
            created.extend(new_topics)

            class Response:
                topic_errors = []
            return Response()

    monkeypatch.setattr(platform_kafka, "AIOKafkaAdminClient", FakeAdmin)
    settings = platform_kafka.KafkaSettings(partitions=12, replication=3, min_insync_replicas=2)
    asyncio.run(platform_kafka.ensure_topics(settings))
    platform = {t.name: (t.num_partitions, t.replication_factor, dict(t.topic_configs)) for t in created}
    ours = {t["spec"]["topicName"]: (t["spec"]["partitions"], t["spec"]["replicas"], t["spec"]["config"])
            for t in _objects(rendered, "KafkaTopic") if t["spec"]["topicName"] != kafka_acl.REPLAY_LEDGER}
    assert ours == platform


def test_kafka_users_carry_kafka_acl_entries(rendered):
    users = {u["metadata"]["name"]: u for u in _objects(rendered, "KafkaUser")}
    assert set(users) == set(kafka_acl.PRINCIPALS)  # admin, one per service, ops, portal
    assert "authorization" not in users.pop(kafka_acl.ADMIN)["spec"]   # a super user: no ACLs
    names = {v: k for k, v in {kafka_acl.READ: "Read", kafka_acl.WRITE: "Write", kafka_acl.DESCRIBE: "Describe"}.items()}
    for principal, user in users.items():
        entries = set()
        for rule in user["spec"]["authorization"]["acls"]:
            resource = rule["resource"]
            for operation in rule["operations"]:
                entries.add(kafka_acl.Acl(f"User:{principal}",
                                          {"topic": kafka_acl.TOPIC, "group": kafka_acl.GROUP}[resource["type"]],
                                          resource["name"],
                                          {"literal": kafka_acl.LITERAL, "prefix": kafka_acl.PREFIXED}[resource["patternType"]],
                                          names[operation]))
        assert sorted(entries) == kafka_acl.acls(principal)


def test_kafka_cluster_is_kraft_with_three_dual_role_nodes(rendered):
    (pool,) = _objects(rendered, "KafkaNodePool")
    assert pool["spec"]["replicas"] == 3 and sorted(pool["spec"]["roles"]) == ["broker", "controller"]
    (cluster,) = _objects(rendered, "Kafka")
    assert cluster["spec"]["kafka"]["config"]["min.insync.replicas"] == 2
    assert cluster["spec"]["kafka"]["authorization"]["superUsers"] == ["admin"]


def test_each_service_has_three_replicas_probes_a_pdb_and_its_own_image(rendered):
    deployments = {d["metadata"]["name"]: d for d in _objects(rendered, "Deployment")}
    pdbs = {p["metadata"]["name"]: p for p in _objects(rendered, "PodDisruptionBudget")}
    for service in versions.SERVICES:
        deployment = deployments[f"fourx-{service}"]
        assert deployment["spec"]["replicas"] == 3
        (container,) = deployment["spec"]["template"]["spec"]["containers"]
        assert container["image"] == f"ghcr.io/fourx/{service}:{versions.version(service)}"
        for probe in ("startupProbe", "readinessProbe"):
            assert container[probe]["httpGet"]["path"] == "/health"
        # Liveness is the port: a restart does not unstick a consumer /health reports stuck.
        assert container["livenessProbe"]["tcpSocket"]["port"] == "http"
        assert container["resources"]["requests"] and container["resources"]["limits"]
        assert pdbs[f"fourx-{service}"]["spec"]["minAvailable"] == 2
    (scaled,) = _objects(rendered, "ScaledObject")
    assert scaled["spec"]["scaleTargetRef"]["name"] == "fourx-notify"
    assert [t["type"] for t in scaled["spec"]["triggers"]] == ["kafka", "kafka"]
    assert [t["metadata"]["consumerGroup"] for t in scaled["spec"]["triggers"]] == ["fourx-notify",
                                                                                    "fourx-notify-reports"]
    assert scaled["spec"]["minReplicaCount"] == 3 and scaled["spec"]["maxReplicaCount"] <= 12


def test_an_overlay_pins_one_services_tag_alone(monkeypatch):
    monkeypatch.setitem(render.BASE, "images", {"notify": "9.9.9"})
    deployments = {d["metadata"]["name"]: d for objs in render.render(None).values() for d in objs
                   if d["kind"] == "Deployment"}
    images = {name: d["spec"]["template"]["spec"]["containers"][0]["image"] for name, d in deployments.items()}
    assert images["fourx-notify"] == "ghcr.io/fourx/notify:9.9.9"
    assert images["fourx-meetings"] == f"ghcr.io/fourx/meetings:{versions.version('meetings')}"


# --- compose and Dockerfiles ----------------------------------------------------------------------
def test_the_compose_file_passes_and_a_broken_one_fails(tmp_path):
    assert compose.check() == []
    source = compose.COMPOSE.read_text()
    broken = tmp_path / "compose.yaml"
    broken.write_text(source.replace("mongo-init: {condition: service_completed_successfully}",
                                     "mongo-init: {condition: service_healthy}", 1)
                            .replace("MONGO_URI: mongodb://mongo:27017/?replicaSet=rs0", "MONGO_URL: x", 1)
                            .replace("kafka-3:\n    <<: *kafka-node", "kafka-3:\n    image: apache/kafka:latest", 1))
    # relative build contexts and bind mounts still start from deploy/compose/
    errors = compose.check(broken, base=compose.COMPOSE.parent)
    text = "\n".join(errors)
    assert "waits for mongo-init to be healthy" in text
    assert "sets MONGO_URL, which no setting of meetings reads" in text
    assert "no MONGO_URI" in text
    assert "image 'apache/kafka:latest' is not pinned" in text or "is not Kafka 4.x" in text


def test_the_dockerfiles_pass_and_each_rule_catches_its_fault(tmp_path):
    files, findings = dockerfiles.check()
    assert [str(f) for f in findings] == [] and len(files) >= 4
    good = (ROOT / "services" / "issues" / "Dockerfile").read_text()
    cases = {
        "DF001": good.replace("ghcr.io/astral-sh/uv:0.13.8", "ghcr.io/astral-sh/uv:latest"),
        "DF003": good.replace("USER 10001:10001", "USER root"),
        "DF004": re.sub(r"HEALTHCHECK .*?\n  CMD .*?\n", "", good, flags=re.S),
        "DF005": good.replace("COPY services/issues/ services/issues/", "COPY services/ services/"),
        "DF007": good.replace('CMD ["uvicorn"', 'CMD uvicorn ["uvicorn"'),
        "DF008": good.replace('org.opencontainers.image.version="${VERSION}"', 'x="1"'),
    }
    folder = tmp_path / "services" / "issues"
    folder.mkdir(parents=True)
    for rule, text in cases.items():
        assert text != good, rule
        (folder / "Dockerfile").write_text(text)
        rules = {f.rule for f in dockerfiles.lint(folder / "Dockerfile", "issues", tmp_path)}
        assert rule in rules, (rule, rules)
    (folder / "Dockerfile").write_text(good.replace("COPY services/issues/ services/issues/",
                                                    "COPY services/notify/src services/notify/src"))
    assert "DF005" in {f.rule for f in dockerfiles.lint(folder / "Dockerfile", "issues", tmp_path)}
    single = "FROM python:3.11.13-slim-bookworm\nUSER 1000\nHEALTHCHECK CMD [\"true\"]\n"
    (folder / "Dockerfile").write_text(single)
    assert "DF002" in {f.rule for f in dockerfiles.lint(folder / "Dockerfile", None, tmp_path)}


def test_the_public_host_routes_to_the_portal_which_signs_in_with_oidc(rendered):
    [ingress] = _objects(rendered, "Ingress")
    [rule] = ingress["spec"]["rules"]
    [path] = rule["http"]["paths"]
    assert path["path"] == "/" and path["backend"]["service"]["name"] == "fourx-portal"
    assert ingress["spec"]["tls"][0]["hosts"] == [rule["host"]]
    # The event stream is long-lived: the ingress must not buffer it.
    assert ingress["metadata"]["annotations"]["nginx.ingress.kubernetes.io/proxy-buffering"] == "off"
    [deployment] = [d for d in _objects(rendered, "Deployment") if d["metadata"]["name"] == "fourx-portal"]
    [container] = deployment["spec"]["template"]["spec"]["containers"]
    env = {e["name"]: e for e in container["env"]}
    assert env["KAFKA_USERNAME"]["value"] == "portal"
    assert "secretKeyRef" in env["FOURX_PORTAL_OIDC_CLIENT_SECRET"]["valueFrom"]
    # Production never signs: no dev mode, no signing key.
    assert "FOURX_DEV_MODE" not in env and "FOURX_AUTH_PRIVATE_KEY_FILE" not in env
    [config] = [c for c in _objects(rendered, "ConfigMap") if c["metadata"]["name"] == "fourx-portal"]
    assert config["data"]["FOURX_PORTAL_OIDC_REDIRECT_URL"] == f"https://{rule['host']}/auth/callback"
