"""SecantusDB (MongoDB wire protocol) as a separate server process with a data folder,
run with authentication (SCRAM-SHA-256, `--auth`) as a MongoDB deployment should be.

SecantusDB provisions users the way mongod without a localhost exception does: a user is
created on a server started without `--auth`, and the server is then restarted with it. So
the first start of a data folder generates a password (random, per data folder: per stack,
per test session; never in the repository), starts the server on 127.0.0.1 without auth
just long enough to create the user, and restarts it with `--auth`. The password is kept in
`<data folder>/credentials.json` (mode 0600) for later starts; the URI carries it.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote_plus

from fourx_local.process import ManagedProcess, wait_for_port


class StoreSetupError(RuntimeError):
    pass


USER = "fourx"


@dataclass
class SecantusServer:
    data_dir: Path
    port: int
    auth: bool = True
    password: str | None = None   # known after start() (read or generated)

    @property
    def uri(self) -> str:
        # SecantusDB does not do retryable writes.
        params = "retryWrites=false&directConnection=true"
        if not self.auth:
            return f"mongodb://127.0.0.1:{self.port}/?{params}"
        if self.password is None:
            raise StoreSetupError("the store's credentials are known once it has started")
        return (f"mongodb://{USER}:{quote_plus(self.password)}@127.0.0.1:{self.port}/"
                f"?{params}&authSource=admin&authMechanism=SCRAM-SHA-256")

    @property
    def _credentials(self) -> Path:
        return self.data_dir / "credentials.json"

    def _spawn(self, auth: bool, timeout: float) -> ManagedProcess:
        exe = shutil.which("secantusd-py", path=str(Path(sys.executable).parent))
        if exe is None:
            raise StoreSetupError(
                "secantusd-py not found next to this Python: install the dev dependencies (uv sync)"
            )
        cmd = [
            exe, "--host", "127.0.0.1", "--port", str(self.port),
            "--storage-path", str(self.data_dir / "data"), "--log-level", "WARNING",
            # The WiredTiger cache: 256M held N=300's read model but not N=1,000's (300,000
            # events), and a bulletin's store time grew with the districts (23 → 35 CPU-ms).
            "--cache-size", os.environ.get("FOURX_STORE_CACHE_SIZE", "2G"),
            # No oplog: it only feeds change streams, which fourx does not use (no replica
            # set, no transactions: the outbox lives in each aggregate's own document). With
            # it every write also wrote an oplog entry, and past its 100,000-entry cap pruned
            # one: 5,800 against 8,200 inserts/s after 180,000 documents, measured here.
            "--standalone",
        ] + (["--auth"] if auth else [])
        proc = ManagedProcess.spawn("secantusdb", cmd, self.data_dir / "secantusdb.log")
        wait_for_port("127.0.0.1", self.port, timeout, proc)
        return proc

    def _provision(self, timeout: float) -> str:
        """Create the user on a server without auth, then stop it; returns the password."""
        from pymongo import MongoClient

        password = secrets.token_urlsafe(24)
        proc = self._spawn(auth=False, timeout=timeout)
        try:
            client = MongoClient(f"mongodb://127.0.0.1:{self.port}/?directConnection=true",
                                 serverSelectionTimeoutMS=int(timeout * 1000))
            try:
                admin = client.admin
                if admin.command("usersInfo", USER)["users"]:   # a folder from an earlier run
                    admin.command("updateUser", USER, pwd=password)
                else:
                    admin.command("createUser", USER, pwd=password, roles=[{"role": "root", "db": "admin"}],
                                  mechanisms=["SCRAM-SHA-256"])
            finally:
                client.close()
        finally:
            proc.stop()
        self._credentials.write_text(json.dumps({"user": USER, "password": password}))
        os.chmod(self._credentials, 0o600)
        return password

    def start(self, timeout: float = 60.0) -> ManagedProcess:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if self.auth:
            fresh = not (self.data_dir / "data").exists() or not self._credentials.exists()
            self.password = (self._provision(timeout) if fresh
                             else json.loads(self._credentials.read_text())["password"])
        return self._spawn(auth=self.auth, timeout=timeout)
