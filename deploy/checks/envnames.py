"""The environment variables a service reads, from its settings classes (pydantic-settings: the
class's env prefix + a field name), so a deployment file that sets a name no code reads — a
typo like `MONGO_URL`, a renamed setting — is an error rather than a silently ignored value."""

from __future__ import annotations

from functools import cache
from importlib import import_module

# Read with os.environ directly (not a settings class).
DIRECT = {"FOURX_DEV_MODE", "FOURX_WEBHOOK_ALLOWLIST", "FOURX_AUTH_PRIVATE_KEY_FILE"}
SHARED = ["fourx_platform.kafka:KafkaSettings", "fourx_platform.mongo:MongoSettings",
          "fourx_platform.auth:AuthSettings", "fourx_platform.inputs:InputLimits",
          "fourx_platform.failures:ConsumerSettings", "fourx_platform.outbox:OutboxSettings"]
OWN = {"meetings": "fourx_meetings.bootstrap:MeetingsSettings", "issues": "fourx_issues.bootstrap:IssuesSettings",
       "notify": "fourx_notify.bootstrap:NotifySettings", "portal": "fourx_portal.settings:PortalSettings"}


def _names(spec: str) -> set[str]:
    module, name = spec.split(":")
    cls = getattr(import_module(module), name)
    prefix = cls.model_config.get("env_prefix", "")
    return {f"{prefix}{field}".upper() for field in cls.model_fields}


@cache
def known(service: str) -> frozenset[str]:
    names = set(DIRECT)
    for spec in [*SHARED, OWN[service]]:
        names |= _names(spec)
    return frozenset(names)


def unknown(service: str, names) -> list[str]:
    return sorted(set(names) - known(service))
