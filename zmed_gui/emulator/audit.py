"""A meter's audit trail: the events Mediation rejected after answering 200, and paging.

Entries are kept in arrival order, each with a sequence number that never repeats
(not even after a reset) and an ``errorTime`` that never goes backwards, so a time
window is one contiguous slice and a cursor ("after sequence N, for this query") stays
valid while new entries arrive or old ones are dropped.

Where Zuora is silent the harsher reading holds:

- the window is ``queryFromTime <= errorTime < queryToTime`` (the end is exclusive);
- ``nextPage`` is given whenever a page is full, so the last page may be empty;
- a cursor is bound to the query it came from (another query with it is a 400);
- ``SAMPLE`` exports and ``DEBUG`` runs have no entries here (nothing is sampled and
  there are no test runs);
- an entry appears only once its ``errorTime`` (receipt plus the processing delay) has
  passed.
"""

from __future__ import annotations

import base64
import binascii
import bisect
import hashlib
import hmac
import json
import secrets
import threading
import uuid
from dataclasses import dataclass
from typing import Any

from zmed_gui.emulator.audit_query import AuditQuery, QueryError

MAX_CURSOR_CHARS = 512


@dataclass(frozen=True)
class Operator:
    """One node of a meter: the streaming source, or the usage-records target."""

    operator_type: str
    name: str
    operator_id: str


def meter_operators(global_id: str) -> tuple[Operator, Operator]:
    """The (source, target) operators of an emulated meter, stable per meter."""

    def op_id(role: str) -> str:
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"zmed-emulator:{global_id}:{role}"))

    return (
        Operator("ZUORA_BULK_API", "Streaming API", op_id("source")),
        Operator("USAGE_RECORDS", "Usage Records", op_id("target")),
    )


def session_id(number: int) -> str:
    """The live run session of an emulated meter (streaming meters run continuously)."""
    return f"R-{number % 1_000_000:06d}"


@dataclass(frozen=True)
class _Entry:
    seq: int
    error_ms: int
    body: dict[str, Any]


class AuditTrail:
    """One meter's entries, thread-safe; at most ``limit`` kept (the oldest go first)."""

    def __init__(self, number: int, global_id: str, limit: int, key: bytes) -> None:
        self.number = number
        self.operators = meter_operators(global_id)
        self.session = session_id(number)
        self._limit = limit
        self._key = key
        self._entries: list[_Entry] = []
        self._lock = threading.Lock()

    # -- writing -------------------------------------------------------------------------
    def add(
        self, seq: int, error_ms: int, code: str, message: str, payload: Any, by_target: bool
    ) -> None:
        op = self.operators[1] if by_target else self.operators[0]
        body = {
            "errorTime": str(error_ms),
            "errorCode": code,
            "errorMessage": message,
            "payload": payload,
            "eventId": f"{uuid.uuid4()}|0",
            "traceId": secrets.token_hex(16),
            "operatorType": op.operator_type,
            "operatorName": op.name,
            "operatorId": op.operator_id,
        }
        with self._lock:
            self._entries.append(_Entry(seq, error_ms, body))
            over = len(self._entries) - self._limit
            if over > 0:
                del self._entries[:over]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def all_entries(self) -> list[dict[str, Any]]:
        """Every entry, visible yet or not (copies)."""
        with self._lock:
            return [dict(e.body) for e in self._entries]

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    # -- reading -------------------------------------------------------------------------
    def page(self, query: AuditQuery, now_ms: int) -> dict[str, Any]:
        """The answer to one entries request; QueryError for a bad or foreign cursor."""
        after = self._read_cursor(query) if query.cursor is not None else 0
        empty = {"success": True, "data": [], "previousPage": None, "nextPage": None}
        if (
            query.export_type != "ERROR"
            or query.run_type != "NORMAL"
            or query.operator_id not in (None, *(op.operator_id for op in self.operators))
            or query.session_id not in (None, self.session)
        ):
            return empty
        end_ms = min(query.to_ms, now_ms + 1)  # not yet visible: errorTime in the future
        with self._lock:
            entries = self._entries
            if query.operator_id is not None:
                entries = [e for e in entries if e.body["operatorId"] == query.operator_id]
            lo = bisect.bisect_left(entries, query.from_ms, key=lambda e: e.error_ms)
            hi = bisect.bisect_left(entries, end_ms, key=lambda e: e.error_ms)
            start = max(lo, bisect.bisect_right(entries, after, key=lambda e: e.seq))
            chosen = entries[start : min(hi, start + query.page_size)]
            data = [dict(e.body) for e in chosen]
            prev_after: int | None = None
            if start > lo:
                first = max(lo, start - query.page_size)
                prev_after = entries[first - 1].seq if first > 0 else 0
            next_after = chosen[-1].seq if len(chosen) == query.page_size else None
        return {
            "success": True,
            "data": data,
            "previousPage": self._cursor(query, prev_after) if prev_after is not None else None,
            "nextPage": self._cursor(query, next_after) if next_after is not None else None,
        }

    # -- cursors: base64url of [{"after": N, "query": digest}, signature] -----------------
    def _digest(self, query: AuditQuery) -> str:
        raw = json.dumps([self.number, *query.key()], separators=(",", ":"))
        return hashlib.sha256(raw.encode()).hexdigest()[:24]

    def _sign(self, payload: str) -> str:
        return hmac.new(self._key, payload.encode(), hashlib.sha256).hexdigest()[:32]

    def _cursor(self, query: AuditQuery, after: int) -> str:
        payload = json.dumps({"after": after, "query": self._digest(query)}, separators=(",", ":"))
        raw = json.dumps([payload, self._sign(payload)], separators=(",", ":"))
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    def _read_cursor(self, query: AuditQuery) -> int:
        token = query.cursor or ""
        bad = QueryError("cursor is not a token this API gave out.")
        if len(token) > MAX_CURSOR_CHARS:
            raise bad
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
            payload, signature = json.loads(raw.decode("utf-8"))
            if not (isinstance(payload, str) and isinstance(signature, str)):
                raise bad
            if not hmac.compare_digest(signature, self._sign(payload)):
                raise bad
            fields = json.loads(payload)
            after = fields["after"]
        except (binascii.Error, ValueError, TypeError, KeyError, UnicodeDecodeError):
            raise bad from None
        if fields.get("query") != self._digest(query):
            raise QueryError("cursor belongs to a different query; repeat the same parameters.")
        if not isinstance(after, int) or after < 0:
            raise bad
        return after
