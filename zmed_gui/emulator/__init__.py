"""A local Zuora Mediation emulator (demo mode, tests, benchmarks).

Standard library plus ``zmed_gui.core.schema`` only. It follows Zuora's documentation,
including what is inconvenient for a client; where Zuora is silent, the harsher reading.
The defaults keep the first emulator's conveniences; :class:`EmulatorConfig` turns the
harsher modes on one by one (``zmed-upload emulator --help`` lists them as options):

- ``ingestion_paths``: ``both`` (default), ``bulk`` or ``streaming``; the other path is
  an unknown route (404 naming nothing).
- ``rate_limit_headers``: ``retry-after`` (default) or ``ratelimit``: 429s then carry only
  ``ratelimit-limit: N, N;w=60[, H;w=3600]``, ``-remaining`` and ``-reset``, as in Zuora's
  sample; every answer under ``calls_per_minute``/``calls_per_hour`` carries them.
- ``error_shape``: ``emulator`` (default: 400 with ``reasons`` naming index, field, code;
  at most ``max_reasons``, ``total_reasons`` counts all), or Zuora's ``reasons`` (v1:
  ``processId``, ``reasons[{code, message}]``) or ``errors`` shapes, which name no event.
  Emulator codes: MISSING_FIELD, EMPTY_FIELD, INVALID_TYPE, INVALID_FORMAT,
  UNKNOWN_FIELD, NOT_AN_OBJECT; body-level ``code``: INVALID_JSON, EMPTY_BATCH,
  INVALID_BODY. ``require_field`` makes every meter need one more field (refuse all).
- ``schema_check``: ``on-receipt`` (default: one bad event refuses the call) or
  ``after-receipt``: 200 for well-formed JSON, bad events rejected afterwards into the
  audit trail (code 70000000), good ones kept. ``post_receipt_rules`` reject matching
  events after receipt in either mode; ``audit_delay`` holds entries back.
- ``forbidden``: 403 on every Mediation call; faults ``403``, ``504[:kept|:lost]`` (an
  HTML page; ``gateway_timeout_keeps_events`` by default), ``200-false``.
- ``GET /meters/{number}/auditTrail/entries`` and ``GET /meters/export/{number}`` take
  the numeric meter ID (``meter_numbers``; :data:`DEMO_METER_NUMBER` for the demo).

Always: ``max_payload_bytes`` counts the decompressed JSON (the stricter reading of
Zuora's 4 MB). ``GET``/``HEAD`` on a meter path, behind the bearer check: 404 for an
unknown meter, 405 with ``Allow: POST`` for a known one (a cheap "Test connection"
probe); probes draw no faults and are counted as ``probes``, not ``calls``. Rate windows
are fixed; refused calls count too; only POSTs to meter paths count. ``drop-after``,
``slow`` and ``504:kept`` act on whatever the call's outcome was; ``slow`` processes
first and answers late, so a client that times out has still delivered its events.
``record_path`` lines: ``{"meter_id", "request_id", "received_at", "event"}`` (kept events
only); ``GET /_emulator/events`` gives the kept events, ``/_emulator/rejected`` those
rejected after receipt, ``/_emulator/audit`` every audit entry. ``reset()`` keeps tokens
valid and restarts the fault sequence from the seed. Requests are logged at DEBUG on the
``zmed_gui.emulator`` logger, method, path and request id only (no query strings,
headers, tokens or secrets). :func:`demo_config` is the app's demo tenant.
"""

from zmed_gui.emulator.config import (
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    DEMO_METER_ID,
    DEMO_METER_NUMBER,
    DEMO_REJECTED_CUSTOMER,
    EmulatorConfig,
    demo_config,
    demo_rules,
    demo_schema,
)
from zmed_gui.emulator.faults import FAULT_KINDS, Fault, FaultPlan
from zmed_gui.emulator.receipt import PostReceiptRule
from zmed_gui.emulator.server import Emulator

__all__ = [
    "DEMO_CLIENT_ID",
    "DEMO_CLIENT_SECRET",
    "DEMO_METER_ID",
    "DEMO_METER_NUMBER",
    "DEMO_REJECTED_CUSTOMER",
    "FAULT_KINDS",
    "Emulator",
    "EmulatorConfig",
    "Fault",
    "FaultPlan",
    "PostReceiptRule",
    "demo_config",
    "demo_rules",
    "demo_schema",
]
