"""What the emulated tenant remembers: tokens, kept events, audit trails, counters,
rate windows."""

from __future__ import annotations

import dataclasses
import json
import secrets
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from typing import IO, Any, Literal

from zmed_gui.core.schema import Schema
from zmed_gui.emulator.audit import AuditTrail
from zmed_gui.emulator.config import EmulatorConfig, RateLimitHeaders
from zmed_gui.emulator.faults import Fault, FaultDice
from zmed_gui.emulator.receipt import Rejection

TokenStatus = Literal["ok", "unknown", "expired"]


# Zuora's own 429 sample (Production: 2.25M calls an hour, 50,000 a minute), for an
# injected 429 when the emulator itself limits nothing.
ZUORA_SAMPLE_POLICIES: tuple[tuple[int, int], ...] = ((50_000, 60), (2_250_000, 3600))


@dataclass(frozen=True)
class RateWindow:
    """The answer of one rate-limit check (fixed windows of a minute and an hour).

    ``limit``, ``remaining`` and ``reset`` are the binding window's: the one exceeded,
    else the one with the fewest calls left. ``policies`` lists every window.
    """

    allowed: bool
    limit: int
    remaining: int
    reset: int  # whole seconds until the binding window starts again
    policies: tuple[tuple[int, int], ...] = ()  # (limit, window seconds)
    seconds: int = 60  # the binding window's length

    def headers(self, style: RateLimitHeaders = "retry-after") -> list[tuple[str, str]]:
        """``ratelimit-*`` headers: plain numbers, or Zuora's form ``N, N;w=60, ...``."""
        limit = str(self.limit)
        if style == "ratelimit" and self.policies:
            limit = ", ".join([limit, *(f"{n};w={w}" for n, w in self.policies)])
        return [
            ("ratelimit-limit", limit),
            ("ratelimit-remaining", str(self.remaining)),
            ("ratelimit-reset", str(self.reset)),
        ]


class EmulatorState:
    """All mutable state, guarded by one lock; safe to call from any thread."""

    def __init__(self, config: EmulatorConfig) -> None:
        self.config = config
        self._lock = threading.Lock()
        self._tokens: dict[str, float] = {}  # token -> monotonic expiry
        self._meters: dict[str, Schema] = dict(config.meters)
        self._numbers: dict[str, int] = {}
        self._record: IO[str] | None = None
        self._active_calls = 0
        self._audit_key = secrets.token_bytes(32)  # signs cursors; survives a reset
        self._audit: dict[str, AuditTrail] = {}
        self._audit_seq = 0  # never reused, not even after a reset
        self._last_error_ms = 0
        numbered = sorted(self._meters, key=lambda m: m not in config.meter_numbers)
        for meter in numbered:  # the given numbers first, then the next free ones
            self._number_locked(meter, config.meter_numbers.get(meter))
        self._reset_locked()

    # -- lifecycle ---------------------------------------------------------------------
    def _reset_locked(self) -> None:
        self._events: dict[str, list[dict[str, Any]]] = {m: [] for m in self._meters}
        self._rejected: dict[str, list[dict[str, Any]]] = {m: [] for m in self._meters}
        for trail in self._audit.values():
            trail.clear()
        self._counts: Counter[str] = Counter()
        self._by_status: Counter[str] = Counter()
        self._faults: Counter[str] = Counter()
        self._track_ids: list[str] = []
        self._entity_ids: list[str] = []
        self._org_ids: list[str] = []
        self._window_start = time.monotonic()
        self._window_calls = 0
        self._hour_start = self._window_start
        self._hour_calls = 0
        plan = self.config.faults
        self._dice: FaultDice | None = plan.dice() if plan is not None else None

    def reset(self) -> None:
        """Forget events, counters, the rate window and restart the fault sequence.

        Tokens stay valid, so a connected client can carry on after a reset.
        """
        with self._lock:
            self._reset_locked()

    def close(self) -> None:
        with self._lock:
            if self._record is not None:
                self._record.close()
                self._record = None

    # -- meters ------------------------------------------------------------------------
    def _number_locked(self, meter_id: str, number: int | None) -> int:
        """Give ``meter_id`` its numeric ID (``number``, else the next free one)."""
        taken = {n for m, n in self._numbers.items() if m != meter_id}
        if number is None:
            reserved = taken | set(self.config.meter_numbers.values())
            number = self._numbers.get(meter_id) or max(reserved, default=1000) + 1
        elif number in taken or not 0 < number < 2**63:
            raise ValueError(f"The meter number {number} is taken or out of range.")
        self._numbers[meter_id] = number
        trail = self._audit.get(meter_id)
        if trail is None or trail.number != number:
            self._audit[meter_id] = AuditTrail(
                number, meter_id, self.config.audit_trail_limit, self._audit_key
            )
        return number

    def add_meter(self, meter_id: str, schema: Schema, number: int | None = None) -> int:
        """Create or replace a meter; returns its numeric ID."""
        with self._lock:
            self._meters[meter_id] = schema
            self._events.setdefault(meter_id, [])
            self._rejected.setdefault(meter_id, [])
            if number is None:
                number = self.config.meter_numbers.get(meter_id)
            return self._number_locked(meter_id, number)

    def schema(self, meter_id: str) -> Schema | None:
        with self._lock:
            return self._meters.get(meter_id)

    def meter_number(self, meter_id: str) -> int | None:
        with self._lock:
            return self._numbers.get(meter_id)

    def meter_by_number(self, number: int) -> tuple[str, Schema, AuditTrail] | None:
        """(global ID, schema, audit trail) of the meter with this numeric ID."""
        with self._lock:
            for meter_id, n in self._numbers.items():
                if n == number:
                    return meter_id, self._meters[meter_id], self._audit[meter_id]
        return None

    # -- tokens ------------------------------------------------------------------------
    def issue_token(self) -> tuple[str, str]:
        """A new (access token, jti)."""
        token = secrets.token_urlsafe(32)
        with self._lock:
            now = time.monotonic()
            # Forget long-expired tokens so a long run does not grow without bound.
            if len(self._tokens) > 1000:
                self._tokens = {t: e for t, e in self._tokens.items() if e > now}
            self._tokens[token] = now + self.config.token_lifetime
            self._counts["tokens_issued"] += 1
        return token, str(uuid.uuid4())

    def check_token(self, token: str) -> TokenStatus:
        with self._lock:
            expiry = self._tokens.get(token)
        if expiry is None:
            return "unknown"
        return "ok" if time.monotonic() < expiry else "expired"

    def expire_token(self, token: str) -> None:
        with self._lock:
            if token in self._tokens:
                self._tokens[token] = 0.0

    def expire_tokens(self) -> None:
        with self._lock:
            for token in self._tokens:
                self._tokens[token] = 0.0

    # -- counters ----------------------------------------------------------------------
    def count(self, name: str, n: int = 1) -> None:
        with self._lock:
            self._counts[name] += n

    def count_status(self, status: int | str, ingestion: bool) -> None:
        with self._lock:
            if ingestion:
                self._by_status[str(status)] += 1
                if status != 200:
                    self._counts["dropped_calls" if status == "dropped" else "rejected_calls"] += 1

    def note_headers(self, track_id: str | None, entity: str | None, orgs: str | None) -> None:
        with self._lock:
            if track_id:
                self._track_ids.append(track_id)
            if entity and entity not in self._entity_ids:
                self._entity_ids.append(entity)
            for org in (orgs or "").split(","):
                org = org.strip()
                if org and org not in self._org_ids:
                    self._org_ids.append(org)

    def rate_check(self) -> RateWindow | None:
        """Count one call against ``calls_per_minute`` and ``calls_per_hour``; None when
        neither is set."""
        per_minute, per_hour = self.config.calls_per_minute, self.config.calls_per_hour
        if per_minute is None and per_hour is None:
            return None
        with self._lock:
            now = time.monotonic()
            if now - self._window_start >= 60.0:
                self._window_start, self._window_calls = now, 0
            if now - self._hour_start >= 3600.0:
                self._hour_start, self._hour_calls = now, 0
            self._window_calls += 1  # refused calls count too, as at Zuora
            self._hour_calls += 1
            windows: list[RateWindow] = []
            for limit, calls, start, length in (
                (per_minute, self._window_calls, self._window_start, 60),
                (per_hour, self._hour_calls, self._hour_start, 3600),
            ):
                if limit is not None:
                    reset = max(1, int(start + length - now + 0.999))
                    left = max(0, limit - calls)
                    windows.append(RateWindow(calls <= limit, limit, left, reset, (), length))
            policies = tuple((w.limit, w.seconds) for w in windows)
            over = [w for w in windows if not w.allowed]
            if over:
                binding = max(over, key=lambda w: w.reset)  # the longest wait
            else:
                binding = min(windows, key=lambda w: (w.remaining, w.seconds))
            return dataclasses.replace(binding, policies=policies)

    def enter_call(self) -> bool:
        """One more ingestion call in flight; False when over ``max_concurrent_calls``."""
        limit = self.config.max_concurrent_calls
        with self._lock:
            self._active_calls += 1
            return limit is None or self._active_calls <= limit

    def leave_call(self) -> None:
        with self._lock:
            self._active_calls -= 1

    # -- faults ------------------------------------------------------------------------
    def next_fault(self) -> Fault | None:
        dice = self._dice
        return dice.next() if dice is not None else None

    def next_token_fault(self) -> bool:
        dice = self._dice
        return dice.next_token_fault() if dice is not None else False

    def count_fault(self, kind: str) -> None:
        with self._lock:
            self._faults[kind] += 1

    # -- events ------------------------------------------------------------------------
    def record(self, meter_id: str, events: list[dict[str, Any]], request_id: str) -> None:
        """Keep a call's accepted events (and append them to the record file)."""
        with self._lock:
            self._events.setdefault(meter_id, []).extend(events)
            self._counts["accepted_events"] += len(events)
            path = self.config.record_path
            if path is not None:
                if self._record is None:
                    path.parent.mkdir(parents=True, exist_ok=True)
                    self._record = path.open("a", encoding="utf-8")
                received = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
                self._record.write(
                    "".join(
                        json.dumps(
                            {
                                "meter_id": meter_id,
                                "request_id": request_id,
                                "received_at": received,
                                "event": e,
                            },
                            ensure_ascii=False,
                        )
                        + "\n"
                        for e in events
                    )
                )
                self._record.flush()

    def reject(self, meter_id: str, rejections: list[Rejection]) -> None:
        """Put a call's post-receipt rejections in the meter's audit trail."""
        if not rejections:
            return
        delay_ms = int(self.config.audit_delay * 1000)
        with self._lock:
            trail = self._audit[meter_id]
            # errorTime never goes backwards, so a time window is one slice of the trail.
            error_ms = max(self._last_error_ms, int(time.time() * 1000) + delay_ms)
            self._last_error_ms = error_ms
            self._rejected.setdefault(meter_id, []).extend(r.event for r in rejections)
            self._counts["rejected_after_receipt"] += len(rejections)
            for r in rejections:
                self._audit_seq += 1
                trail.add(self._audit_seq, error_ms, r.code, r.message, r.event, r.by_target)

    def rejected_events(self, meter_id: str | None = None) -> list[dict[str, Any]]:
        """Copies of the events rejected after receipt, in arrival order."""
        with self._lock:
            if meter_id is not None:
                return [dict(e) for e in self._rejected.get(meter_id, [])]
            return [dict(e) for evs in self._rejected.values() for e in evs]

    def audit_entries(self, meter_id: str | None = None) -> list[dict[str, Any]]:
        """Every audit trail entry (visible yet or not), by meter then arrival."""
        with self._lock:
            trails = [self._audit[m] for m in self._audit if meter_id in (None, m)]
        return [e for t in trails for e in t.all_entries()]

    def accepted_events(self, meter_id: str | None = None) -> list[dict[str, Any]]:
        # Shallow copies suffice: validated events hold only scalars (no nested values).
        with self._lock:
            if meter_id is not None:
                return [dict(e) for e in self._events.get(meter_id, [])]
            return [dict(e) for evs in self._events.values() for e in evs]

    def stats(self) -> dict[str, Any]:
        with self._lock:
            c = self._counts
            return {
                "calls": c["calls"],
                "accepted_events": c["accepted_events"],
                "rejected_calls": c["rejected_calls"],
                "dropped_calls": c["dropped_calls"],
                "by_status": dict(self._by_status),
                "probes": c["probes"],
                "gzip_requests": c["gzip_requests"],
                "token_requests": c["token_requests"],
                "tokens_issued": c["tokens_issued"],
                "token_rejections": c["token_rejections"],
                "faults_injected": dict(self._faults),
                "fault_seed": self._dice.seed if self._dice is not None else None,
                "track_ids": list(self._track_ids),
                "entity_ids": list(self._entity_ids),
                "org_ids": list(self._org_ids),
                "events_by_meter": {m: len(e) for m, e in self._events.items()},
                "rejected_after_receipt": c["rejected_after_receipt"],
                "unrouted": c["unrouted"],
                "meter_numbers": dict(self._numbers),
            }
