"""Point `fourx-dev demo` at the compose stack: write the state file it reads (`stack.json`, as
`fourx-dev up` would) from the environment — FOURX_URL_<SERVICE>, KAFKA_BOOTSTRAP, MONGO_URI —
and the local token issuer's keys, which the `keys` init container made in the shared state
folder. Standard library and fourx-local only."""

from __future__ import annotations

import os

from fourx_local import stack
from fourx_local.stack import Component, StackState

state = StackState(
    kafka_bootstrap=os.environ["KAFKA_BOOTSTRAP"],
    mongo_uri=os.environ.get("MONGO_URI", ""),
    components=[Component(name, None, os.environ[f"FOURX_URL_{name.upper()}"]) for name in stack.SERVICES],
)
state.save(stack.state_file())
print(f"attach: {stack.state_file()} → {state.urls}", flush=True)
