"""What the emulated tenant remembers: tokens, accepted events, counters, rate window."""

from __future__ import annotations

import json
import secrets
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from typing import IO, Any, Literal

from zmed_gui.core.schema import Schema
from zmed_gui.emulator.config import EmulatorConfig
from zmed_gui.emulator.faults import Fault, FaultDice

TokenStatus = Literal["ok", "unknown", "expired"]


@dataclass(frozen=True)
class RateWindow:
    """The answer of one rate-limit check (fixed one-minute windows)."""

    allowed: bool
    limit: int
    remaining: int
    reset: int  # whole seconds until the window starts again

    def headers(self) -> list[tuple[str, str]]:
        return [
            ("ratelimit-limit", str(self.limit)),
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
        self._record: IO[str] | None = None
        self._active_calls = 0
        self._reset_locked()

    # -- lifecycle ---------------------------------------------------------------------
    def _reset_locked(self) -> None:
        self._events: dict[str, list[dict[str, Any]]] = {m: [] for m in self._meters}
        self._counts: Counter[str] = Counter()
        self._by_status: Counter[str] = Counter()
        self._faults: Counter[str] = Counter()
        self._track_ids: list[str] = []
        self._entity_ids: list[str] = []
        self._org_ids: list[str] = []
        self._window_start = time.monotonic()
        self._window_calls = 0
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
    def add_meter(self, meter_id: str, schema: Schema) -> None:
        with self._lock:
            self._meters[meter_id] = schema
            self._events.setdefault(meter_id, [])

    def schema(self, meter_id: str) -> Schema | None:
        with self._lock:
            return self._meters.get(meter_id)

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
        """Count one call against ``calls_per_minute``; None when there is no limit."""
        limit = self.config.calls_per_minute
        if limit is None:
            return None
        with self._lock:
            now = time.monotonic()
            if now - self._window_start >= 60.0:
                self._window_start, self._window_calls = now, 0
            self._window_calls += 1  # refused calls count too, as at Zuora
            reset = max(1, int(self._window_start + 60.0 - now + 0.999))
            allowed = self._window_calls <= limit
            return RateWindow(allowed, limit, max(0, limit - self._window_calls), reset)

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
            }
