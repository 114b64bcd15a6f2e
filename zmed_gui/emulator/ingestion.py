"""The ingestion routes: ``POST /usage/bulk/{id}`` and ``/meters/streaming/ingestion/{id}``.

Order of checks on a POST: the path mode (a disabled path is an unknown route), the
rate windows and the concurrency limit, faults that answer before processing, the
bearer token, 403 (tenant or fault), the meter (404), then the body. What passes the
receipt checks is answered 200 and then sorted: the kept events are recorded, the
rejected ones go to the meter's audit trail.
"""

from __future__ import annotations

import email.utils
import math
import re
import time
from typing import Any

from zmed_gui.core.schema import Schema
from zmed_gui.emulator.faults import Fault
from zmed_gui.emulator.payload import (
    PayloadError,
    check_basic,
    check_events,
    decode_body,
    parse_events,
)
from zmed_gui.emulator.receipt import sort_after_receipt, with_required
from zmed_gui.emulator.responder import Responder
from zmed_gui.emulator.shapes import schema_problems, shaped, status_code
from zmed_gui.emulator.state import ZUORA_SAMPLE_POLICIES, RateWindow
from zmed_gui.emulator.wire import Drop

_TRACK_BAD = re.compile(r"[^\x20-\x7e]|[:;\"']")
_STATUS_FAULTS = {
    "500": "Internal server error (injected).",
    "502": "Bad gateway (injected).",
    "503": "Service unavailable (injected).",
    "429": "Too many requests (injected).",
}


class IngestionRoutes(Responder):
    def _meter_call(self, meter_id: str, style: str) -> None:
        paths = self.config.ingestion_paths
        if paths not in ("both", style):
            self._no_route()
            return
        self._shape = self.config.error_shape
        if self.command != "POST":
            self._meter(meter_id, admitted=True)
            return
        admitted = self.state.enter_call()  # held until answered (slow answers included)
        try:
            self._meter(meter_id, admitted)
        finally:
            self.state.leave_call()

    def _meter(self, meter_id: str, admitted: bool) -> None:
        body = self._read_body(self.config.max_payload_bytes)
        post = self.command == "POST"
        self._ingestion = post
        self.state.count("calls" if post else "probes")
        track = self.headers.get("Zuora-Track-Id")
        self.state.note_headers(
            None, self.headers.get("Zuora-Entity-Ids"), self.headers.get("Zuora-Org-Ids")
        )
        if track:
            if len(track) > 64 or _TRACK_BAD.search(track):
                self._fail(
                    400,
                    "Zuora-Track-Id must be at most 64 US-ASCII characters without : ; \" or '.",
                )
                return
            self._track_id = track
            self.state.note_headers(track, None, None)
        fault: Fault | None = None
        self._window: RateWindow | None = None
        if post:
            if self._limited(admitted):
                return
            fault = self.state.next_fault()
            if fault is not None:
                self.state.count_fault(fault.kind)
                if self._early_fault(fault):
                    return
        if not self._authorized() or self._forbidden(fault):
            return
        schema = self.state.schema(meter_id)
        if schema is None:
            self._fail(404, f"The meter {meter_id} does not exist in this tenant.")
            return
        if not post:
            self._extra.append(("Allow", "POST"))
            self._fail(405, "This path takes POST only; the meter exists.")
            return
        if fault is not None and fault.kind == "200-false":
            self._send(200, {
                "success": False,
                "message": "The events were not accepted (injected); nothing was kept.",
            })  # fmt: skip
            return
        self._ingest(meter_id, schema, body)

    def _limited(self, admitted: bool) -> bool:
        """Apply the rate windows and the concurrency limit; True when refused."""
        style = self.config.rate_limit_headers
        window = self._window = self.state.rate_check()
        if window is not None:
            self._extra += window.headers(style)
            if not window.allowed:
                if style == "retry-after":
                    self._extra.append(("Retry-After", str(window.reset)))
                span = "a minute" if window.seconds == 60 else "an hour"
                self._fail(429, f"More than {window.limit} calls in {span}; retry later.")
                return True
        if not admitted:
            if style == "retry-after":
                self._extra.append(("Retry-After", "1"))
            limit = self.config.max_concurrent_calls
            self._fail(429, f"More than {limit} calls at the same time; retry later.")
            return True
        return False

    def _ingest(self, meter_id: str, schema: Schema, body: bytes | None) -> None:
        if self.headers.get_content_type() != "application/json":
            self._fail(415, "Content-Type must be application/json.")
            return
        encoding = self.headers.get("Content-Encoding", "")
        if encoding.strip():
            self.state.count("gzip_requests")
        config = self.config
        schema = with_required(schema, config.require_field)
        later: Schema | None = None
        try:
            data = decode_body(body, encoding, config.max_payload_bytes)
            events = parse_events(data)
            if config.schema_check == "on-receipt":
                check_events(events, schema, config.max_events_per_call, config.max_reasons)
            else:
                check_basic(events, config.max_events_per_call)
                later = schema
        except PayloadError as exc:
            self._send(exc.status, self._refusal(exc))
            return
        kept, rejected = sort_after_receipt(events, later, config.post_receipt_rules)
        self.state.record(meter_id, kept, self._request_id)
        self.state.reject(meter_id, rejected)
        self._send(200, {"success": True, "message": f"{len(events)} events received"})

    def _refusal(self, exc: PayloadError) -> dict[str, Any]:
        """A refused body in the configured shape (only "emulator" names events)."""
        if self._shape == "emulator":
            return exc.body()
        code = exc.extra.get("code")
        if exc.reasons is None and code is None:
            problems = [(status_code(exc.status), exc.message)]
        else:
            problems = schema_problems(exc.message, exc.reasons, code, self.config.max_reasons)
        return shaped(self._shape, problems)

    def _early_fault(self, fault: Fault) -> bool:
        """Apply a fault that answers before processing; True when the call is done."""
        kind = fault.kind
        if kind == "drop-before":
            raise Drop
        if kind in _STATUS_FAULTS:
            if kind == "429" and self.config.rate_limit_headers == "ratelimit":
                self._ratelimit_429_headers(fault)
            elif fault.seconds is not None and kind in ("503", "429"):
                if fault.http_date:
                    when = email.utils.formatdate(time.time() + fault.seconds + 1, usegmt=True)
                    self._extra.append(("Retry-After", when))
                else:
                    self._extra.append(("Retry-After", str(math.ceil(fault.seconds))))
            self._fail(int(kind), _STATUS_FAULTS[kind])
            return True
        if kind == "token-expiry":
            token = self._bearer()
            if token:
                self.state.expire_token(token)
            self._extra.append(("WWW-Authenticate", 'Bearer error="invalid_token"'))
            self._fail(401, "The access token has expired (injected); get a new one.")
            return True
        if kind == "504":
            kept = (
                fault.kept if fault.kept is not None else self.config.gateway_timeout_keeps_events
            )
            if not kept:
                self._pending = fault  # _send turns the answer into the 504 page
                self._send(504, b"")
                return True
        if kind in ("slow", "drop-after", "504"):
            self._pending = fault  # after processing
        return False

    def _ratelimit_429_headers(self, fault: Fault) -> None:
        """Zuora's 429 sample: only ratelimit-*, remaining 0, no Retry-After."""
        reset = max(1, math.ceil(fault.seconds or 1.0))
        window = self._window
        if window is None:
            answer = RateWindow(False, 2_250_000, 0, reset, ZUORA_SAMPLE_POLICIES)
        else:
            answer = RateWindow(False, window.limit, 0, reset, window.policies)
        self._extra = [h for h in self._extra if not h[0].startswith("ratelimit-")]
        self._extra += answer.headers("ratelimit")
