"""Turning an ingestion request body into events, or into the error Zuora would answer."""

from __future__ import annotations

import json
import zlib
from typing import Any

from zmed_gui.core.schema import Schema
from zmed_gui.emulator.validation import validate_events


class PayloadError(Exception):
    """The call is refused with ``status`` and a JSON body built from the rest."""

    def __init__(
        self, status: int, message: str, reasons: list[dict[str, Any]] | None = None,
        **extra: Any,
    ) -> None:  # fmt: skip
        super().__init__(message)
        self.status = status
        self.message = message
        self.reasons = reasons
        self.extra = extra

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"success": False, "message": self.message}
        if self.reasons is not None:
            body["reasons"] = self.reasons
        body.update(self.extra)
        return body


def decode_body(raw: bytes | None, content_encoding: str, limit: int) -> bytes:
    """The JSON bytes of the body; ``limit`` applies to the decompressed size."""
    too_big = PayloadError(
        413, f"The payload is over {limit} bytes (counted after decompression); send fewer "
        "events per call.",
    )  # fmt: skip
    if raw is None:
        raise too_big
    encoding = content_encoding.strip().lower()
    if encoding in ("", "identity"):
        return raw
    if encoding not in ("gzip", "x-gzip"):
        raise PayloadError(415, f"Content-Encoding {content_encoding} is not supported; use gzip.")
    d = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        data = d.decompress(raw, limit + 1)
    except zlib.error as exc:
        raise PayloadError(400, f"The body is not valid gzip ({exc}).") from None
    if len(data) > limit:
        raise too_big
    if not d.eof or d.unused_data:
        raise PayloadError(400, "The gzip body is truncated or has data after its end.")
    return data


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def parse_events(data: bytes) -> list[Any]:
    """The events of a body that holds one JSON object or an array of them."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PayloadError(
            400, f"The body is not UTF-8 (byte {exc.start}).", code="INVALID_JSON"
        ) from None
    try:
        body = json.loads(text, parse_constant=_no_constants)
    except json.JSONDecodeError as exc:
        raise PayloadError(
            400, f"The body is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}).",
            code="INVALID_JSON",
        ) from None  # fmt: skip
    except ValueError as exc:
        raise PayloadError(
            400, f"The body is not valid JSON ({exc}).", code="INVALID_JSON"
        ) from None
    if isinstance(body, dict):
        return [body]
    if isinstance(body, list):
        if not body:
            raise PayloadError(400, "The body is an empty array; send at least one event.",
                               code="EMPTY_BATCH")  # fmt: skip
        return body
    raise PayloadError(
        400, "The body must be a JSON object (one event) or an array of objects.",
        code="INVALID_BODY",
    )  # fmt: skip


def _check_count(events: list[Any], max_events: int) -> None:
    if len(events) > max_events:
        raise PayloadError(
            413, f"The call has {len(events)} events; at most {max_events} are allowed per call.",
        )  # fmt: skip


def check_basic(events: list[Any], max_events: int) -> list[dict[str, Any]]:
    """The checks before a 200 when the schema is checked after receipt: the count, and
    that every event is an object. Says nothing about which event is not."""
    _check_count(events, max_events)
    if not all(isinstance(e, dict) for e in events):
        raise PayloadError(
            400, "The body must be a JSON object or an array of JSON objects.",
            code="INVALID_BODY",
        )  # fmt: skip
    return events


def check_events(events: list[Any], schema: Schema, max_events: int, max_reasons: int) -> None:
    """Refuse the call (413 or 400) unless every event fits the meter's schema."""
    _check_count(events, max_events)
    reasons, total = validate_events(events, schema, max_reasons)
    if total:
        bad = len({r["index"] for r in reasons})
        more = (
            f" The first {len(reasons)} of {total} problems are listed."
            if total > len(reasons)
            else ""
        )
        raise PayloadError(
            400,
            f"{total} problem(s) in {'at least ' if more else ''}{bad} of {len(events)} events; "
            f"nothing from this call was recorded.{more}",
            reasons,
            total_reasons=total,
        )
