"""Dev mode: the local stack, the demo and the tests set `FOURX_DEV_MODE=1`; nothing else does.

Whatever would let a request move a service's clock or pick its "today" is on only in dev
mode, so a production deployment can't be steered into the future by a caller.
"""

from __future__ import annotations

import os

ENV = "FOURX_DEV_MODE"


def dev_mode() -> bool:
    # Read at each call: tests switch it with monkeypatch.
    return os.environ.get(ENV, "").strip().lower() in ("1", "true", "yes")
