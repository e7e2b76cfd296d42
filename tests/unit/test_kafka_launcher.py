"""The local broker's security configuration, without starting it."""

from __future__ import annotations

from fourx_platform.kafka_acl import PRINCIPALS
from fourx_local.kafka import KafkaBroker, KafkaCredentials


def test_a_secured_broker_authenticates_every_listener_and_denies_by_default(tmp_path):
    broker = KafkaBroker(tmp_path / "kafka", 19092, 19093).secure()
    props = dict(line.split("=", 1) for line in broker.server_properties().splitlines() if line)
    assert props["listener.security.protocol.map"] == "CONTROLLER:SASL_PLAINTEXT,BROKER:SASL_PLAINTEXT"
    assert props["listeners"] == "BROKER://127.0.0.1:19092,CONTROLLER://127.0.0.1:19093"
    assert props["authorizer.class.name"] == "org.apache.kafka.metadata.authorizer.StandardAuthorizer"
    assert props["super.users"] == "User:admin" and props["allow.everyone.if.no.acl.found"] == "false"
    assert broker.credentials.passwords["admin"] in props["listener.name.broker.scram-sha-256.sasl.jaas.config"]
    creds_file = tmp_path / "kafka" / "credentials.json"
    assert creds_file.stat().st_mode & 0o077 == 0


def test_credentials_are_generated_once_per_storage_and_reused(tmp_path):
    first = KafkaCredentials.load_or_create(tmp_path / "c.json")
    again = KafkaCredentials.load_or_create(tmp_path / "c.json")
    assert first.passwords == again.passwords and set(first.passwords) == set(PRINCIPALS)
    assert KafkaCredentials.generate().passwords != first.passwords
    args = first.format_args()
    assert args[0] == "--add-scram" and args[1] == f"SCRAM-SHA-256=[name=admin,password={first.passwords['admin']}]"
    settings = first.settings("127.0.0.1:1", "notify")
    assert settings.client_options()["sasl_plain_username"] == "notify"
    assert settings.env()["KAFKA_PASSWORD"] == first.passwords["notify"]


def test_an_unsecured_broker_stays_plaintext(tmp_path):
    props = KafkaBroker(tmp_path, 1, 2).server_properties()
    assert "listener.security.protocol.map=CONTROLLER:PLAINTEXT,BROKER:PLAINTEXT" in props
    assert "authorizer" not in props


def test_a_storage_formatted_before_a_principal_existed_is_set_aside(tmp_path):
    """SCRAM users are written when the storage is formatted: one made before `portal` existed
    would refuse the portal forever, so `up` moves it aside and formats anew."""
    import json

    data = tmp_path / "kafka"
    (data / "logs").mkdir(parents=True)
    old = {name: "pw" for name in PRINCIPALS if name != "portal"}
    (data / "credentials.json").write_text(json.dumps({"mechanism": "SCRAM-SHA-256", "passwords": old}))
    broker = KafkaBroker(data, 1, 2).secure()
    assert set(broker.credentials.passwords) == set(PRINCIPALS)
    assert not (data / "logs").exists()
    [aside] = [p for p in tmp_path.iterdir() if p.name.startswith("kafka.before-")]
    assert (aside / "logs").is_dir()
    # A storage that has every principal is kept as it is.
    (data / "logs").mkdir()
    again = KafkaBroker(data, 1, 2).secure()
    assert again.credentials.passwords == broker.credentials.passwords
    assert (data / "logs").is_dir()
    assert len([p for p in tmp_path.iterdir() if p.name.startswith("kafka.")]) == 1
