"""Render fourx's Kubernetes manifests: plain YAML, Kustomize-style base + overlays.

The base is this file's `BASE` values and the functions below; an overlay
(`deploy/k8s/overlays/<name>.yaml`) is a YAML document deep-merged over `BASE` (namespace,
replicas, resources, an image tag per service, Kafka sizing, ...). What is derived from code is
never written here a second time:
- every `KafkaTopic` comes from the contracts' catalog (`fourx_contracts.events.TOPICS`, its
  DLQs, `COMPACTED_TOPICS`) with the configs `fourx_platform.kafka.ensure_topics` gives them;
- every `KafkaUser`'s ACLs are `fourx_platform.kafka_acl.acls(principal)`;
- each service's image tag is its own pyproject version (`deploy/versions.py`), unless the
  overlay pins another (releasing one service alone: README, "Deploying").

    python deploy/k8s/render.py [--overlay production] [--out deploy/k8s/out/production]

writes one file per object group and a `kustomization.yaml` listing them (so
`kubectl apply -k <out>` works as well as `kubectl apply -f <out>`).
"""

from __future__ import annotations

import argparse
import copy
import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from deploy import versions  # noqa: E402
from fourx_contracts.events import COMPACTED_TOPICS, TOPICS, dlq_topic  # noqa: E402
from fourx_platform import kafka_acl  # noqa: E402
from fourx_platform.kafka import DLQ_MAX_MESSAGE_BYTES  # noqa: E402

OVERLAYS = Path(__file__).resolve().parent / "overlays"
SERVICES = versions.SERVICES
PORT = 8000
# The ops tool's replay ledger (fourx_ops.dlq.LEDGER_TOPIC, spelled in kafka_acl too): one
# partition, compacted, created here so the ops principal's read ACL names a real topic.
LEDGER = (kafka_acl.REPLAY_LEDGER, 1, {"cleanup.policy": "compact"})

# Sizing (README "Deploying" → "Sizing"): from `make bench-scale` on 2 shared cores. One notify
# process ingests 1,339 events/s there and a Monday run is store-bound; 2,800 districts make
# < 1 event/s on average with peaks on activity days and Mondays. A request is what one process
# used while busy in the benchmark (about half a core); the CPU limit leaves room for the
# Monday burst; memory from the processes' resident size under the benchmark plus headroom.
BASE: dict[str, Any] = {
    "namespace": "fourx",
    "registry": versions.REGISTRY,
    "images": {},                      # service → tag; default: the service's pyproject version
    "replicas": 3,
    "time_zone": "Asia/Shanghai",
    "auth": {"issuer": "https://sso.example.org/realms/fourx", "audience": "fourx",
             "jwks_url": "https://sso.example.org/realms/fourx/protocol/openid-connect/certs",
             "operators": ""},
    "smtp": {"host": "smtp.example.org", "port": 25, "sender": "fourx-notify@example.org"},
    # Links in notify's messages open through the web console's proxy (the portal, same host).
    "public_url": "https://fourx.example.org/api/notify",
    # The web console (工作台): the public host the Ingress routes to the portal, and the
    # portal's OpenID Connect client (its secret from the secret store: `secrets.render`).
    "portal": {"host": "fourx.example.org", "tls_secret": "fourx-tls", "ingress_class": "nginx",
               "replicas": 2, "oidc_client_id": "fourx-console", "oidc_scopes": "openid profile"},
    "webhook_allowlist": "",
    # Secrets: rendered with these placeholders; replace them (or create the Secrets from your
    # secret store and drop `secrets.render`).
    "secrets": {"render": True,
                "mongo_uri": "mongodb://fourx-{service}:CHANGE-ME@mongo-0.mongo,mongo-1.mongo,mongo-2.mongo"
                             "/?replicaSet=rs0&authSource=admin&tls=true"},
    "resources": {
        "meetings": {"requests": {"cpu": "250m", "memory": "256Mi"}, "limits": {"cpu": "1", "memory": "512Mi"}},
        "issues": {"requests": {"cpu": "250m", "memory": "256Mi"}, "limits": {"cpu": "1", "memory": "512Mi"}},
        "notify": {"requests": {"cpu": "500m", "memory": "512Mi"}, "limits": {"cpu": "2", "memory": "1Gi"}},
        "portal": {"requests": {"cpu": "100m", "memory": "192Mi"}, "limits": {"cpu": "1", "memory": "384Mi"}},
    },
    "notify_scaling": {"min": 3, "max": 12, "lag_threshold": 1000, "report_lag_threshold": 50,
                       "activation_lag": 10},
    "kafka": {
        "cluster": "fourx",
        "nodes": 3,
        "partitions": 12,              # README capacity plan: room for 3 replicas × 4
        "replicas": 3,
        "min_insync": 2,
        "storage": "100Gi",
        "resources": {"requests": {"cpu": "1", "memory": "4Gi"}, "limits": {"cpu": "2", "memory": "4Gi"}},
        "listener_port": 9093,
    },
}


# --- values -----------------------------------------------------------------------------------
def merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in (over or {}).items():
        out[key] = merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


def values(overlay: str | None) -> dict[str, Any]:
    if overlay is None:
        return copy.deepcopy(BASE)
    path = OVERLAYS / f"{overlay}.yaml"
    return merge(BASE, yaml.safe_load(path.read_text()) or {})


def image(service: str, v: dict[str, Any]) -> str:
    return f"{v['registry']}/{service}:{v['images'].get(service) or versions.version(service)}"


def _meta(name: str, v: dict[str, Any], component: str, **labels: str) -> dict[str, Any]:
    return {"name": name, "namespace": v["namespace"],
            "labels": {"app.kubernetes.io/name": component, "app.kubernetes.io/part-of": "fourx", **labels}}


# --- Kafka (Strimzi) --------------------------------------------------------------------------
def topic_specs(v: dict[str, Any]) -> list[tuple[str, int, dict[str, str]]]:
    """(topic, partitions, configs) for every catalog topic and its DLQ, as ensure_topics makes them."""
    k = v["kafka"]
    base = {"min.insync.replicas": str(k["min_insync"])}
    specs = []
    for topic in TOPICS:
        configs = {**base, "cleanup.policy": "compact"} if topic in COMPACTED_TOPICS else dict(base)
        specs.append((topic, k["partitions"], configs))
        specs.append((dlq_topic(topic), k["partitions"], {**base, "max.message.bytes": str(DLQ_MAX_MESSAGE_BYTES)}))
    name, partitions, configs = LEDGER
    specs.append((name, partitions, {**base, **configs}))
    return specs


def kafka_topics(v: dict[str, Any]) -> list[dict[str, Any]]:
    k = v["kafka"]
    return [{
        "apiVersion": "kafka.strimzi.io/v1", "kind": "KafkaTopic",
        "metadata": _meta(topic, v, "kafka-topic", **{"strimzi.io/cluster": k["cluster"]}),
        "spec": {"topicName": topic, "partitions": partitions, "replicas": k["replicas"], "config": configs},
    } for topic, partitions, configs in topic_specs(v)]


_RESOURCE = {kafka_acl.TOPIC: "topic", kafka_acl.GROUP: "group"}
_PATTERN = {kafka_acl.LITERAL: "literal", kafka_acl.PREFIXED: "prefix"}
_OPERATION = {kafka_acl.READ: "Read", kafka_acl.WRITE: "Write", kafka_acl.DESCRIBE: "Describe"}


def user_acls(principal: str) -> list[dict[str, Any]]:
    """kafka_acl's entries of one principal as Strimzi ACL rules (one rule per resource)."""
    rules: dict[tuple[int, str, int], list[str]] = {}
    for acl in kafka_acl.acls(principal):
        rules.setdefault((acl.resource_type, acl.name, acl.pattern), []).append(_OPERATION[acl.operation])
    return [{"resource": {"type": _RESOURCE[rtype], "name": name, "patternType": _PATTERN[pattern]},
             "operations": sorted(set(ops)), "host": "*"}
            for (rtype, name, pattern), ops in sorted(rules.items())]


def kafka_users(v: dict[str, Any]) -> list[dict[str, Any]]:
    """One KafkaUser per service, one for `ops` (operators, KEDA's lag reads) and one for the
    `portal` (the web console's event stream, read-only), with their ACLs; and `admin`, a super user of the cluster (spec.kafka.authorization.superUsers) with no
    ACLs, for what only the admin does (a DLQ replay, the replay ledger)."""
    k = v["kafka"]

    def user(principal: str, acls: bool) -> dict[str, Any]:
        spec: dict[str, Any] = {"authentication": {"type": "scram-sha-512"}}
        if acls:
            spec["authorization"] = {"type": "simple", "acls": user_acls(principal)}
        return {"apiVersion": "kafka.strimzi.io/v1", "kind": "KafkaUser",
                "metadata": _meta(principal, v, "kafka-user", **{"strimzi.io/cluster": k["cluster"]}),
                "spec": spec}

    return [*(user(p, True) for p in (*kafka_acl.SERVICES, kafka_acl.OPS, kafka_acl.PORTAL)),
            user(kafka_acl.ADMIN, False)]


def kafka_cluster(v: dict[str, Any]) -> list[dict[str, Any]]:
    k = v["kafka"]
    pool = {
        "apiVersion": "kafka.strimzi.io/v1", "kind": "KafkaNodePool",
        "metadata": _meta("dual-role", v, "kafka", **{"strimzi.io/cluster": k["cluster"]}),
        "spec": {"replicas": k["nodes"], "roles": ["controller", "broker"],
                 "storage": {"type": "jbod", "volumes": [
                     {"id": 0, "type": "persistent-claim", "size": k["storage"], "deleteClaim": False,
                      "kraftMetadata": "shared"}]},
                 "resources": k["resources"]},
    }
    cluster = {
        "apiVersion": "kafka.strimzi.io/v1", "kind": "Kafka",
        "metadata": _meta(k["cluster"], v, "kafka"),
        "spec": {
            "kafka": {
                "listeners": [{"name": "tls", "port": k["listener_port"], "type": "internal", "tls": True,
                               "authentication": {"type": "scram-sha-512"}}],
                "authorization": {"type": "simple", "superUsers": [kafka_acl.ADMIN]},
                "config": {
                    "default.replication.factor": k["replicas"], "min.insync.replicas": k["min_insync"],
                    "offsets.topic.replication.factor": k["replicas"],
                    "transaction.state.log.replication.factor": k["replicas"],
                    "transaction.state.log.min.isr": k["min_insync"],
                    "auto.create.topics.enable": False,
                },
            },
            # The topic and user operators reconcile the KafkaTopic and KafkaUser resources below.
            "entityOperator": {"topicOperator": {}, "userOperator": {}},
        },
    }
    return [cluster, pool]


# --- the services -----------------------------------------------------------------------------
def bootstrap(v: dict[str, Any]) -> str:
    k = v["kafka"]
    return f"{k['cluster']}-kafka-bootstrap.{v['namespace']}.svc:{k['listener_port']}"


def common_config(v: dict[str, Any]) -> dict[str, Any]:
    k, auth = v["kafka"], v["auth"]
    return {
        "apiVersion": "v1", "kind": "ConfigMap", "metadata": _meta("fourx-common", v, "fourx"),
        "data": {
            "KAFKA_BOOTSTRAP": bootstrap(v), "KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
            "KAFKA_SASL_MECHANISM": "SCRAM-SHA-512", "KAFKA_SSL_CAFILE": "/etc/fourx/kafka-ca/ca.crt",
            "KAFKA_PARTITIONS": str(k["partitions"]), "KAFKA_REPLICATION": str(k["replicas"]),
            "KAFKA_MIN_INSYNC_REPLICAS": str(k["min_insync"]),
            "FOURX_AUTH_ISSUER": auth["issuer"], "FOURX_AUTH_AUDIENCE": auth["audience"],
            "FOURX_AUTH_JWKS_URL": auth["jwks_url"], "FOURX_AUTH_OPERATORS": auth["operators"],
            "FOURX_WEBHOOK_ALLOWLIST": v["webhook_allowlist"],
        },
    }


def service_config(service: str, v: dict[str, Any]) -> dict[str, Any]:
    prefix = service.upper()
    data = {f"{prefix}_TIME_ZONE": v["time_zone"]}
    if service == "notify":
        data |= {"NOTIFY_SMTP_HOST": v["smtp"]["host"], "NOTIFY_SMTP_PORT": str(v["smtp"]["port"]),
                 "NOTIFY_SMTP_SENDER": v["smtp"]["sender"], "NOTIFY_PUBLIC_URL": v["public_url"]}
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": _meta(f"fourx-{service}", v, service), "data": data}


def service_secret(service: str, v: dict[str, Any]) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
            "metadata": _meta(f"fourx-{service}-mongo", v, service),
            "stringData": {"MONGO_URI": v["secrets"]["mongo_uri"].format(service=service)}}


def deployment(service: str, v: dict[str, Any], *, replicas: int | None = None, extra_env: list[dict] = (),
               mongo: bool = True) -> dict[str, Any]:
    labels = {"app.kubernetes.io/name": service, "app.kubernetes.io/part-of": "fourx"}
    probe = {"httpGet": {"path": "/health", "port": "http"}, "periodSeconds": 10, "timeoutSeconds": 3}
    container = {
        "name": service, "image": image(service, v), "imagePullPolicy": "IfNotPresent",
        "ports": [{"name": "http", "containerPort": PORT, "protocol": "TCP"}],
        "envFrom": [{"configMapRef": {"name": "fourx-common"}}, {"configMapRef": {"name": f"fourx-{service}"}}],
        "env": [
            *([{"name": "MONGO_URI", "valueFrom": {"secretKeyRef": {"name": f"fourx-{service}-mongo",
                                                                     "key": "MONGO_URI"}}}] if mongo else []),
            *extra_env,
            {"name": "KAFKA_USERNAME", "value": service},
            # The user operator writes the KafkaUser's SCRAM password into a Secret of its name.
            {"name": "KAFKA_PASSWORD", "valueFrom": {"secretKeyRef": {"name": service, "key": "password"}}},
        ],
        "startupProbe": {**probe, "failureThreshold": 30},
        "readinessProbe": {**probe, "failureThreshold": 3},
        # Alive = serving its port. Not /health: it answers 503 while a consumer is stuck or the
        # store is away, and a restart unsticks neither (the failure policy, the DLQ and replay do).
        "livenessProbe": {"tcpSocket": {"port": "http"}, "periodSeconds": 10, "timeoutSeconds": 3,
                          "failureThreshold": 6},
        "resources": v["resources"][service],
        "securityContext": {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
                            "capabilities": {"drop": ["ALL"]}},
        "volumeMounts": [{"name": "kafka-ca", "mountPath": "/etc/fourx/kafka-ca", "readOnly": True},
                         {"name": "tmp", "mountPath": "/tmp"}],
    }
    return {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": _meta(f"fourx-{service}", v, service, **{"app.kubernetes.io/version": image(service, v).rsplit(":", 1)[1]}),
        "spec": {
            "replicas": v["replicas"] if replicas is None else replicas,
            "revisionHistoryLimit": 5,
            "selector": {"matchLabels": labels},
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1}},
            "template": {
                "metadata": {"labels": {**labels, "app.kubernetes.io/version": image(service, v).rsplit(":", 1)[1]}},
                "spec": {
                    "serviceAccountName": f"fourx-{service}",
                    "automountServiceAccountToken": False,
                    "terminationGracePeriodSeconds": 45,
                    "securityContext": {"runAsNonRoot": True, "runAsUser": 10001, "runAsGroup": 10001,
                                        "fsGroup": 10001, "seccompProfile": {"type": "RuntimeDefault"}},
                    "topologySpreadConstraints": [{"maxSkew": 1, "topologyKey": "kubernetes.io/hostname",
                                                   "whenUnsatisfiable": "ScheduleAnyway",
                                                   "labelSelector": {"matchLabels": labels}}],
                    "containers": [container],
                    "volumes": [{"name": "kafka-ca", "secret": {"secretName": f"{v['kafka']['cluster']}-cluster-ca-cert",
                                                                "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
                                {"name": "tmp", "emptyDir": {"sizeLimit": "256Mi"}}],
                },
            },
        },
    }


def service_objects(service: str, v: dict[str, Any]) -> list[dict[str, Any]]:
    labels = {"app.kubernetes.io/name": service, "app.kubernetes.io/part-of": "fourx"}
    objects = [
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": _meta(f"fourx-{service}", v, service),
         "automountServiceAccountToken": False},
        service_config(service, v),
    ]
    if v["secrets"]["render"]:
        objects.append(service_secret(service, v))
    objects += [
        deployment(service, v),
        {"apiVersion": "v1", "kind": "Service", "metadata": _meta(f"fourx-{service}", v, service),
         "spec": {"selector": labels, "ports": [{"name": "http", "port": 80, "targetPort": "http", "protocol": "TCP"}]}},
        # Two of the three stay up through a node drain or a voluntary eviction.
        {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": _meta(f"fourx-{service}", v, service),
         "spec": {"minAvailable": max(1, v["replicas"] - 1), "selector": {"matchLabels": labels}}},
    ]
    if service == "notify":
        objects += notify_scaling(v)
    return objects


def portal_objects(v: dict[str, Any]) -> list[dict[str, Any]]:
    """The web console: the portal (built app + backend-for-frontend) behind the public host's
    Ingress, in front of the three services' in-cluster Services. It signs nobody in itself:
    the OpenID Connect provider does (FOURX_AUTH_… in fourx-common are the same provider's)."""
    p, auth = v["portal"], v["auth"]
    name = "portal"
    labels = {"app.kubernetes.io/name": name, "app.kubernetes.io/part-of": "fourx"}
    config = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": _meta("fourx-portal", v, name), "data": {
        "FOURX_PORTAL_OIDC_ISSUER": auth["issuer"], "FOURX_PORTAL_OIDC_CLIENT_ID": p["oidc_client_id"],
        "FOURX_PORTAL_OIDC_REDIRECT_URL": f"https://{p['host']}/auth/callback",
        "FOURX_PORTAL_OIDC_SCOPES": p["oidc_scopes"],
        **{f"FOURX_PORTAL_{s.upper()}_URL": f"http://fourx-{s}.{v['namespace']}.svc" for s in SERVICES}}}
    objects: list[dict[str, Any]] = [
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": _meta("fourx-portal", v, name),
         "automountServiceAccountToken": False},
        config,
    ]
    if v["secrets"]["render"]:
        objects.append({"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
                        "metadata": _meta("fourx-portal-oidc", v, name),
                        "stringData": {"FOURX_PORTAL_OIDC_CLIENT_SECRET": "CHANGE-ME"}})
    secret_env = [{"name": "FOURX_PORTAL_OIDC_CLIENT_SECRET",
                   "valueFrom": {"secretKeyRef": {"name": "fourx-portal-oidc", "key": "FOURX_PORTAL_OIDC_CLIENT_SECRET"}}}]
    objects += [
        deployment(name, v, replicas=p["replicas"], extra_env=secret_env, mongo=False),
        {"apiVersion": "v1", "kind": "Service", "metadata": _meta("fourx-portal", v, name),
         "spec": {"selector": labels, "ports": [{"name": "http", "port": 80, "targetPort": "http", "protocol": "TCP"}]}},
        {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": _meta("fourx-portal", v, name),
         "spec": {"minAvailable": 1, "selector": {"matchLabels": labels}}},
        {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
         "metadata": {**_meta("fourx-portal", v, name), "annotations": {
             # The event stream (/api/events) is long-lived and must not be buffered.
             "nginx.ingress.kubernetes.io/proxy-buffering": "off",
             "nginx.ingress.kubernetes.io/proxy-read-timeout": "3600",
             # Directory imports (.xlsx) and exports pass through the portal.
             "nginx.ingress.kubernetes.io/proxy-body-size": "16m"}},
         "spec": {"ingressClassName": p["ingress_class"],
                  "tls": [{"hosts": [p["host"]], "secretName": p["tls_secret"]}],
                  "rules": [{"host": p["host"], "http": {"paths": [
                      {"path": "/", "pathType": "Prefix",
                       "backend": {"service": {"name": "fourx-portal", "port": {"name": "http"}}}}]}}]}},
    ]
    return objects


def notify_scaling(v: dict[str, Any]) -> list[dict[str, Any]]:
    """KEDA scales notify by its consumer group's lag (never below 3, never above the partition
    count: a replica beyond that would hold no partition). KEDA reads the lag as `ops`, whose
    ACLs let it describe every group and read every topic."""
    s, k = v["notify_scaling"], v["kafka"]
    from_secret = {"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
                   "metadata": _meta("fourx-keda-kafka", v, "notify"),
                   "stringData": {"sasl": "scram_sha512", "username": kafka_acl.OPS, "tls": "enable"}}
    auth = {"apiVersion": "keda.sh/v1alpha1", "kind": "TriggerAuthentication",
            "metadata": _meta("fourx-notify-kafka", v, "notify"),
            "spec": {"secretTargetRef": [
                {"parameter": "sasl", "name": "fourx-keda-kafka", "key": "sasl"},
                {"parameter": "username", "name": "fourx-keda-kafka", "key": "username"},
                {"parameter": "tls", "name": "fourx-keda-kafka", "key": "tls"},
                {"parameter": "password", "name": kafka_acl.OPS, "key": "password"},
                {"parameter": "ca", "name": f"{k['cluster']}-cluster-ca-cert", "key": "ca.crt"}]}}
    scaled = {"apiVersion": "keda.sh/v1alpha1", "kind": "ScaledObject",
              "metadata": _meta("fourx-notify", v, "notify"),
              "spec": {"scaleTargetRef": {"name": "fourx-notify"},
                       "minReplicaCount": s["min"], "maxReplicaCount": min(s["max"], k["partitions"]),
                       "pollingInterval": 15, "cooldownPeriod": 300,
                       "triggers": [_lag_trigger(v, "events", kafka_acl.group_prefix("notify"), None,
                                                 s["lag_threshold"]),
                                    # The Monday run: bulletin requests are few but heavy (one
                                    # bulletin each), so a small lag already asks for replicas.
                                    _lag_trigger(v, "reports", f"{kafka_acl.group_prefix('notify')}-reports",
                                                 "report-requested", s["report_lag_threshold"])]}}
    return [from_secret, auth, scaled]


def _lag_trigger(v: dict[str, Any], name: str, group: str, topic: str | None, threshold: int) -> dict[str, Any]:
    metadata = {"bootstrapServers": bootstrap(v), "consumerGroup": group, "lagThreshold": str(threshold),
                "activationLagThreshold": str(v["notify_scaling"]["activation_lag"]), "offsetResetPolicy": "earliest"}
    if topic is not None:
        metadata["topic"] = topic
    return {"type": "kafka", "name": name, "authenticationRef": {"name": "fourx-notify-kafka"}, "metadata": metadata}


# --- the whole --------------------------------------------------------------------------------
def render(overlay: str | None = "production") -> dict[str, list[dict[str, Any]]]:
    """{file name: its objects}, in apply order."""
    v = values(overlay)
    files: dict[str, list[dict[str, Any]]] = {
        "00-namespace.yaml": [{"apiVersion": "v1", "kind": "Namespace",
                               "metadata": {"name": v["namespace"], "labels": {"app.kubernetes.io/part-of": "fourx"}}}],
        "10-kafka-cluster.yaml": kafka_cluster(v),
        "11-kafka-topics.yaml": kafka_topics(v),
        "12-kafka-users.yaml": kafka_users(v),
        "20-common-config.yaml": [common_config(v)],
    }
    for i, service in enumerate(SERVICES):
        files[f"3{i}-{service}.yaml"] = service_objects(service, v)
    files["40-portal.yaml"] = portal_objects(v)
    return files


class _Dumper(yaml.SafeDumper):
    """Plain YAML: no anchors and aliases where one dict is used twice."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def dump_all(objects: list[dict[str, Any]]) -> str:
    return yaml.dump_all(objects, Dumper=_Dumper, sort_keys=False, allow_unicode=True)


def write(files: dict[str, list[dict[str, Any]]], out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("*.yaml"):
        old.unlink()
    written = []
    for name, objects in files.items():
        path = out / name
        path.write_text("# Rendered by deploy/k8s/render.py: do not edit, change the overlay or the renderer.\n"
                        + dump_all(objects))
        written.append(path)
    kustomization = {"apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization",
                     "resources": list(files)}
    (out / "kustomization.yaml").write_text(yaml.safe_dump(kustomization, sort_keys=False))
    return written


def overlays() -> list[str]:
    return sorted(p.stem for p in OVERLAYS.glob("*.yaml"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--overlay", default="production", choices=overlays())
    parser.add_argument("--out", type=Path, help="default: deploy/k8s/out/<overlay>")
    args = parser.parse_args(argv)
    out = args.out or Path(__file__).resolve().parent / "out" / args.overlay
    files = render(args.overlay)
    write(files, out)
    count = sum(len(objects) for objects in files.values())
    print(f"render: {count} objects in {len(files)} files → {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
