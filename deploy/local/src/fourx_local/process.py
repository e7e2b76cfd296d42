"""Child processes we start and must be able to stop again, by pid, from another command."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path


class ProcessStartError(RuntimeError):
    pass


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_open(host: str, port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex((host, port)) == 0


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie child still answers kill(0); ask /proc whether it is really running.
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
        return state != "Z"
    except OSError:
        return False


@dataclass
class ManagedProcess:
    name: str
    pid: int
    log: Path
    popen: subprocess.Popen | None = None

    @classmethod
    def spawn(cls, name: str, cmd: list[str], log: Path, env: dict[str, str] | None = None) -> "ManagedProcess":
        log.parent.mkdir(parents=True, exist_ok=True)
        out = open(log, "ab")
        # A session of its own, so stopping it takes its children too and a Ctrl-C on the
        # caller's terminal does not reach it.
        popen = subprocess.Popen(
            cmd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True, env={**os.environ, **(env or {})},
        )
        out.close()
        return cls(name=name, pid=popen.pid, log=log, popen=popen)

    def alive(self) -> bool:
        if self.popen is not None:
            return self.popen.poll() is None
        return pid_alive(self.pid)

    def stop(self, timeout: float = 20.0) -> None:
        stop_pid(self.pid, timeout)
        if self.popen is not None:
            try:
                self.popen.wait(timeout=1)
            except subprocess.TimeoutExpired:
                pass

    def tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def stop_pid(pid: int, timeout: float = 20.0) -> None:
    """SIGTERM the process group, then SIGKILL whatever is left after `timeout`."""
    for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(pid, sig)
        except ProcessLookupError:
            return
        except PermissionError:
            os.kill(pid, sig)
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if not pid_alive(pid):
                return
            time.sleep(0.1)


def wait_for_port(host: str, port: int, timeout: float, proc: ManagedProcess) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if port_open(host, port):
            return
        if not proc.alive():
            raise ProcessStartError(f"{proc.name} exited before listening on {host}:{port}:\n{proc.tail()}")
        time.sleep(0.2)
    proc.stop()
    raise ProcessStartError(f"{proc.name} did not listen on {host}:{port} within {timeout:.0f}s:\n{proc.tail()}")
