"""The emulator's settings and the demo tenant's fixed identifiers."""

from __future__ import annotations

import functools
import importlib.resources
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, get_args

from zmed_gui.core.schema import Schema, schema_from_json
from zmed_gui.emulator.faults import FaultPlan
from zmed_gui.emulator.receipt import PostReceiptRule

DEMO_METER_ID = "8a1b2c3d4e5f60718293a4b5c6d7e8f9"
DEMO_METER_NUMBER = 4061  # the demo meter's numeric ID (audit trail, meter export)
DEMO_CLIENT_ID = "demo-client"
DEMO_CLIENT_SECRET = "demo-secret"  # public on purpose: it only unlocks the local emulator
# In the sample spreadsheet this account has two good rows; the demo rejects them after
# receipt, as Mediation would for an account that is not in Zuora Billing.
DEMO_REJECTED_CUSTOMER = "A00091777"

IngestionPaths = Literal["both", "bulk", "streaming"]
RateLimitHeaders = Literal["retry-after", "ratelimit"]
ErrorShape = Literal["emulator", "reasons", "errors"]
SchemaCheck = Literal["on-receipt", "after-receipt"]
Forbidden = Literal["permission", "not-enabled"]


@functools.cache
def _demo_schema_json() -> Any:
    res = importlib.resources.files("zmed_gui.resources") / "schemas" / "demo-meter.json"
    return json.loads(res.read_text(encoding="utf-8"))


def demo_schema() -> Schema:
    """The demo meter's event schema (a fresh copy each call)."""
    return schema_from_json(_demo_schema_json(), origin="The demo meter schema")


def _demo_meters() -> dict[str, Schema]:
    return {DEMO_METER_ID: demo_schema()}


def _demo_numbers() -> dict[str, int]:
    return {DEMO_METER_ID: DEMO_METER_NUMBER}


def demo_rules() -> list[PostReceiptRule]:
    """The demo's post-receipt rejections (a fresh list each call)."""
    return [
        PostReceiptRule(
            "CustomerId",
            value=DEMO_REJECTED_CUSTOMER,
            message=f"The account {DEMO_REJECTED_CUSTOMER} does not exist in Zuora Billing; "
            "the usage record was not created.",
        )
    ]


@dataclass
class EmulatorConfig:
    """How the emulated tenant behaves. The defaults answer like the first emulator did
    (both paths, Retry-After, indexed 400s, schema checked on receipt); each mode below
    turns on one of the less convenient behaviours Zuora documents or leaves open.

    ``max_payload_bytes`` is counted on the decompressed JSON body: Zuora does not say
    whether its 4 MB limit applies before or after gzip, and the stricter reading means a
    client that passes here passes there either way.
    """

    client_id: str = DEMO_CLIENT_ID
    client_secret: str = DEMO_CLIENT_SECRET
    token_lifetime: int = 3599
    meters: dict[str, Schema] = field(default_factory=_demo_meters)
    # Numeric meter IDs (audit trail, export); meters missing here get the next free number.
    meter_numbers: dict[str, int] = field(default_factory=_demo_numbers)
    max_events_per_call: int = 10_000
    max_payload_bytes: int = 4_000_000
    calls_per_minute: int | None = None  # None = unlimited
    calls_per_hour: int | None = None  # None = unlimited
    max_concurrent_calls: int | None = None  # Zuora's tenant default is 40; None = unlimited
    faults: FaultPlan | None = None
    record_path: Path | None = None  # append kept events as NDJSON
    max_reasons: int = 100  # per-event reasons listed in one 400 body (the count is always full)
    # Which upload path answers; the other gives the 404 of an unknown route.
    ingestion_paths: IngestionPaths = "both"
    # "retry-after": 429 with Retry-After (and plain ratelimit-* numbers); "ratelimit":
    # Zuora's own 429 sample, only ratelimit-limit "N, N;w=60", -remaining, -reset.
    rate_limit_headers: RateLimitHeaders = "retry-after"
    # Ingestion refusals: "emulator" (reasons with an event index), or one of Zuora's
    # published shapes without any index: "reasons" (v1) or "errors" (Meters operations).
    error_shape: ErrorShape = "emulator"
    require_field: str | None = None  # every meter also requires this field (refuse all)
    # "after-receipt": answer 200 to well-formed JSON and check the schema afterwards.
    schema_check: SchemaCheck = "on-receipt"
    post_receipt_rules: list[PostReceiptRule] = field(default_factory=list)
    audit_delay: float = 0.0  # seconds before a rejection shows in the audit trail
    audit_trail_limit: int = 100_000  # entries kept per meter (oldest go first)
    forbidden: Forbidden | None = None  # 403 on every Mediation call after the token check
    gateway_timeout_keeps_events: bool = True  # what a 504 fault without :kept/:lost does

    def __post_init__(self) -> None:
        choices: list[tuple[str, object, Any]] = [
            ("ingestion_paths", self.ingestion_paths, IngestionPaths),
            ("rate_limit_headers", self.rate_limit_headers, RateLimitHeaders),
            ("error_shape", self.error_shape, ErrorShape),
            ("schema_check", self.schema_check, SchemaCheck),
        ]
        for name, value, kind in choices:
            if value not in get_args(kind):
                raise ValueError(f"{name} must be one of {get_args(kind)}, not {value!r}")
        if self.forbidden is not None and self.forbidden not in get_args(Forbidden):
            raise ValueError(f"forbidden must be None or one of {get_args(Forbidden)}")
        if not 0.0 <= self.audit_delay <= 3600.0:
            raise ValueError("audit_delay must be between 0 and 3600 seconds")
        if self.audit_trail_limit < 1:
            raise ValueError("audit_trail_limit must be at least 1")
        numbers = list(self.meter_numbers.values())
        if len(set(numbers)) != len(numbers) or any(not 0 < n < 2**63 for n in numbers):
            raise ValueError("meter_numbers must be distinct positive 64-bit integers")


def demo_config() -> EmulatorConfig:
    """The app's demo tenant: the defaults, plus a couple of sample rows (those of
    :data:`DEMO_REJECTED_CUSTOMER`) rejected after receipt, so reconciliation has
    something to find in the audit trail. Every other mode stays off."""
    return EmulatorConfig(post_receipt_rules=demo_rules())
