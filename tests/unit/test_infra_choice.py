from __future__ import annotations

import pytest
from fourx_local.infra import Choice, choose


def never() -> bool:
    raise AssertionError("docker must not be asked when the environment names both")


def test_environment_wins_and_docker_is_not_asked():
    env = {"KAFKA_BOOTSTRAP": "k:9092", "MONGO_URI": "mongodb://m"}
    assert choose(env, never) == Choice("env", "env")


@pytest.mark.parametrize("docker, expected", [(True, "testcontainers"), (False, "local")])
def test_without_environment_docker_decides(docker, expected):
    assert choose({}, lambda: docker) == Choice(expected, expected)


def test_each_part_is_chosen_separately():
    assert choose({"MONGO_URI": "mongodb://m"}, lambda: False) == Choice("local", "env")
    assert choose({"KAFKA_BOOTSTRAP": "k:1"}, lambda: True) == Choice("env", "testcontainers")


def test_docker_can_be_switched_off():
    assert choose({"FOURX_NO_DOCKER": "1"}, lambda: True) == Choice("local", "local")
