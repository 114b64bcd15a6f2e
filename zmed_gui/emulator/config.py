"""The emulator's settings and the demo tenant's fixed identifiers."""

from __future__ import annotations

import functools
import importlib.resources
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from zmed_gui.core.schema import Schema, schema_from_json
from zmed_gui.emulator.faults import FaultPlan

DEMO_METER_ID = "8a1b2c3d4e5f60718293a4b5c6d7e8f9"
DEMO_CLIENT_ID = "demo-client"
DEMO_CLIENT_SECRET = "demo-secret"  # public on purpose: it only unlocks the local emulator


@functools.cache
def _demo_schema_json() -> Any:
    res = importlib.resources.files("zmed_gui.resources") / "schemas" / "demo-meter.json"
    return json.loads(res.read_text(encoding="utf-8"))


def demo_schema() -> Schema:
    """The demo meter's event schema (a fresh copy each call)."""
    return schema_from_json(_demo_schema_json(), origin="The demo meter schema")


def _demo_meters() -> dict[str, Schema]:
    return {DEMO_METER_ID: demo_schema()}


@dataclass
class EmulatorConfig:
    """How the emulated tenant behaves.

    ``max_payload_bytes`` is counted on the decompressed JSON body: Zuora does not say
    whether its 4 MB limit applies before or after gzip, and the stricter reading means a
    client that passes here passes there either way.
    """

    client_id: str = DEMO_CLIENT_ID
    client_secret: str = DEMO_CLIENT_SECRET
    token_lifetime: int = 3599
    meters: dict[str, Schema] = field(default_factory=_demo_meters)
    max_events_per_call: int = 10_000
    max_payload_bytes: int = 4_000_000
    calls_per_minute: int | None = None  # None = unlimited
    max_concurrent_calls: int | None = None  # Zuora's tenant default is 40; None = unlimited
    faults: FaultPlan | None = None
    record_path: Path | None = None  # append accepted events as NDJSON
    max_reasons: int = 100  # per-event reasons listed in one 400 body (the count is always full)
