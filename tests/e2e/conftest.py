from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest


@dataclass
class RunningStack:
    state_dir: Path
    env: dict[str, str]
    up_output: str

    def value(self, name: str) -> str:
        match = re.search(rf"^{name}=(\S+)$", self.up_output, re.MULTILINE)
        assert match, f"`up` did not print {name}=…:\n{self.up_output}"
        return match.group(1)

    def pids(self) -> list[int]:
        state = json.loads((self.state_dir / "stack.json").read_text())
        return [c["pid"] for c in state["components"] if c["pid"]]

    def cli(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "fourx_local", *args], env=self.env, text=True,
                              capture_output=True, timeout=timeout)


@pytest.fixture(scope="session")
def local_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    """`make up` as a user runs it: the stack starts its own Kafka and store."""
    state = tmp_path_factory.mktemp("stack")
    env = {k: v for k, v in os.environ.items() if k not in ("KAFKA_BOOTSTRAP", "MONGO_URI")}
    env["FOURX_STATE_DIR"] = str(state)
    started = subprocess.run([sys.executable, "-m", "fourx_local", "up", "--partitions", "3"], env=env, text=True,
                             capture_output=True, timeout=300)
    stack = RunningStack(state, env, started.stdout)
    try:
        assert started.returncode == 0, started.stdout + started.stderr
        yield stack
    finally:
        stack.cli("down")
