"""SecantusDB (MongoDB wire protocol) as a separate server process with a data folder."""

from __future__ import annotations

import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from fourx_local.process import ManagedProcess, wait_for_port


class StoreSetupError(RuntimeError):
    pass


@dataclass
class SecantusServer:
    data_dir: Path
    port: int

    @property
    def uri(self) -> str:
        # SecantusDB does not do retryable writes.
        return f"mongodb://127.0.0.1:{self.port}/?retryWrites=false&directConnection=true"

    def start(self, timeout: float = 60.0) -> ManagedProcess:
        exe = shutil.which("secantusd-py", path=str(Path(sys.executable).parent))
        if exe is None:
            raise StoreSetupError(
                "secantusd-py not found next to this Python: install the dev dependencies (uv sync)"
            )
        self.data_dir.mkdir(parents=True, exist_ok=True)
        cmd = [
            exe, "--host", "127.0.0.1", "--port", str(self.port),
            "--storage-path", str(self.data_dir / "data"), "--log-level", "WARNING",
            "--cache-size", "256M",
        ]
        proc = ManagedProcess.spawn("secantusdb", cmd, self.data_dir / "secantusdb.log")
        wait_for_port("127.0.0.1", self.port, timeout, proc)
        return proc
