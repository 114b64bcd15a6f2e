"""A local Zuora Mediation ingestion emulator (demo mode, tests, benchmarks).

Standard library plus ``zmed_gui.core.schema`` only. Behaviour where Zuora is silent, or
where the emulator is deliberately stricter:

- ``max_payload_bytes`` counts the decompressed JSON (the stricter reading of Zuora's 4 MB).
- Schema checks run on every call and one bad event rejects the whole call (400 with
  ``reasons``: index, field, code, message; at most ``max_reasons`` listed, ``total_reasons``
  counts all). Zuora would accept and report later in the audit trail. Codes:
  MISSING_FIELD, EMPTY_FIELD, INVALID_TYPE, INVALID_FORMAT, UNKNOWN_FIELD, NOT_AN_OBJECT;
  body-level ``code``: INVALID_JSON, EMPTY_BATCH, INVALID_BODY.
- ``GET``/``HEAD`` on a meter path, behind the bearer check: 404 for an unknown meter,
  405 with ``Allow: POST`` for a known one (a cheap "Test connection" probe). Probes draw
  no faults and are counted as ``probes``, not ``calls``.
- ``calls_per_minute``: fixed one-minute windows; refused calls count too; only POSTs to
  meter paths count. 429 carries Retry-After and ratelimit-limit/remaining/reset.
- ``drop-after`` and ``slow`` act on whatever the call's outcome was (a 400 can be dropped
  too); ``slow`` processes first and answers late, so a client that times out has still
  delivered its events. ``drop-before`` reads the body, then hangs up.
- ``record_path`` lines: ``{"meter_id", "request_id", "received_at", "event"}``;
  ``GET /_emulator/events`` gives bare events, one per line.
- ``reset()`` keeps tokens valid (a connected client can carry on) and restarts the fault
  sequence from the seed.
- Requests are logged at DEBUG on the ``zmed_gui.emulator`` logger, method, path and
  request id only (no query strings, headers, tokens or secrets).
"""

from zmed_gui.emulator.config import (
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    DEMO_METER_ID,
    EmulatorConfig,
    demo_schema,
)
from zmed_gui.emulator.faults import FAULT_KINDS, Fault, FaultPlan
from zmed_gui.emulator.server import Emulator

__all__ = [
    "DEMO_CLIENT_ID",
    "DEMO_CLIENT_SECRET",
    "DEMO_METER_ID",
    "FAULT_KINDS",
    "Emulator",
    "EmulatorConfig",
    "Fault",
    "FaultPlan",
    "demo_schema",
]
