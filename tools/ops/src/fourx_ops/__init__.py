"""fourx-ops: the operator's view of fourx's event streams (watch, trace, DLQ, lag)."""
