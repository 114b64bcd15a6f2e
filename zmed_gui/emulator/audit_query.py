"""Reading the query of ``GET /meters/{meterId}/auditTrail/entries``, whatever it holds.

Every problem is a :class:`QueryError` (a 400 with a code and a sentence), never an
exception from deeper down: the query string is hostile input like any other.
"""

from __future__ import annotations

import datetime as dt
import re
import urllib.parse
from dataclasses import dataclass

EXPORT_TYPES = ("SAMPLE", "ERROR")
RUN_TYPES = ("DEBUG", "NORMAL")
DEFAULT_PAGE_SIZE = 30
MAX_PAGE_SIZE = 500
MAX_QUERY_FIELDS = 32
MAX_VALUE_CHARS = 1024
_REQUIRED = ("exportType", "runType", "queryFromTime", "queryToTime")
_DIGITS = re.compile(r"[0-9]{1,6}")
_INT64 = re.compile(r"[0-9]{1,19}")

MISSING_PARAMETER = 70000023
INVALID_VALUE = 70000020


class QueryError(Exception):
    """The request is refused with 400 and this code and message."""

    def __init__(self, message: str, code: int = INVALID_VALUE) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class AuditQuery:
    export_type: str
    run_type: str
    from_ms: int  # inclusive
    to_ms: int  # exclusive
    page_size: int = DEFAULT_PAGE_SIZE
    cursor: str | None = None
    operator_id: str | None = None
    session_id: str | None = None

    def key(self) -> list[object]:
        """What a cursor is bound to: everything but the page size and the cursor."""
        return [
            self.export_type,
            self.run_type,
            self.from_ms,
            self.to_ms,
            self.operator_id,
            self.session_id,
        ]


def parse_meter_number(text: str) -> int:
    """A path's numeric meter ID (an int64), or QueryError."""
    if not _INT64.fullmatch(text) or not 0 < int(text) < 2**63:
        raise QueryError(f"meterId must be a meter's numeric ID (an integer), not '{text[:40]}'.")
    return int(text)


def parse_time(name: str, text: str) -> int:
    """An ISO 8601 time with a zone, as epoch milliseconds."""
    try:
        when = dt.datetime.fromisoformat(text)
    except ValueError:
        raise QueryError(
            f"{name} must be an ISO 8601 time with a zone, e.g. 2026-11-26T09:30:00Z."
        ) from None
    if when.tzinfo is None or when.utcoffset() is None:
        raise QueryError(f"{name} needs a time zone, e.g. 2026-11-26T09:30:00Z or +01:00.")
    try:
        return int(when.timestamp() * 1000)
    except (OverflowError, OSError, ValueError):
        raise QueryError(f"{name} is out of range.") from None


def parse_audit_query(query: str) -> AuditQuery:
    """The query's parameters checked, or QueryError."""
    try:
        pairs = urllib.parse.parse_qsl(
            query, keep_blank_values=True, max_num_fields=MAX_QUERY_FIELDS, errors="strict"
        )
    except UnicodeDecodeError:
        raise QueryError("The query string is not UTF-8.") from None
    except ValueError:
        raise QueryError(f"The query has more than {MAX_QUERY_FIELDS} parameters.") from None
    params: dict[str, str] = {}
    for name, value in pairs:
        if name in params:
            raise QueryError(f"The parameter {name[:40]} is given more than once.")
        if len(value) > MAX_VALUE_CHARS:
            raise QueryError(f"The parameter {name[:40]} is too long.")
        params[name] = value
    for name in _REQUIRED:
        if not params.get(name):
            raise QueryError(f"The query parameter {name} is required.", MISSING_PARAMETER)
    export_type, run_type = params["exportType"], params["runType"]
    if export_type not in EXPORT_TYPES:
        raise QueryError("exportType must be SAMPLE or ERROR.")
    if run_type not in RUN_TYPES:
        raise QueryError("runType must be DEBUG or NORMAL.")
    from_ms = parse_time("queryFromTime", params["queryFromTime"])
    to_ms = parse_time("queryToTime", params["queryToTime"])
    if from_ms > to_ms:
        raise QueryError("queryFromTime must not be after queryToTime.")
    size_text = params.get("pageSize")
    page_size = DEFAULT_PAGE_SIZE
    if size_text is not None:
        if not _DIGITS.fullmatch(size_text) or not 1 <= int(size_text) <= MAX_PAGE_SIZE:
            raise QueryError(f"pageSize must be a whole number from 1 to {MAX_PAGE_SIZE}.")
        page_size = int(size_text)
    cursor = params.get("cursor")
    if cursor is not None and not cursor:
        raise QueryError("cursor must be a nextPage or previousPage token.")
    return AuditQuery(
        export_type,
        run_type,
        from_ms,
        to_ms,
        page_size,
        cursor,
        params.get("operatorId") or None,
        params.get("sessionId") or None,
    )
