"""Error bodies in the shapes Zuora publishes, and the gateway's own pages.

Zuora publishes no error body for the ingestion endpoint. Its other APIs answer
``{"success": false, "processId": "...", "reasons": [{"code": 8 digits, "message"}]}``
(v1) or ``{"success": false, "errors": [{"code", "message"}]}`` (other Meters
operations). Neither names the event of a batch a refusal is about, so these bodies
never carry an index, not even inside a message. Codes follow Zuora's scheme (a 6-digit
resource code, then a 2-digit category: 10 permission, 11 authentication, 20 invalid
value, 22 missing field, 23 missing parameter, 40 not found, 45 unsupported, 60
internal, 61 temporary, 70 over a limit, 90 malformed); the Mediation codes 70000000,
70002004, 70002005, 70002006 and 70002103 are Zuora's published ones, the rest are the
emulator's own. v1 bodies carry codes as numbers, "errors" bodies as strings.
"""

from __future__ import annotations

import html
import secrets
from collections.abc import Iterable
from typing import Any

from zmed_gui.emulator.receipt import without_index

Problem = tuple[int, str]  # (code, message)

STREAM_API_VALIDATION = 70000000
TENANT_MEDIATION_NOT_ENABLED = 70002004
RATE_LIMITED = 70002005
UNAUTHORIZED = 70002006
METER_NOT_EXISTING = 70002103
UNKNOWN_RESOURCE = 50000040  # Zuora's "unknown object" resource with category 40

# The category of each HTTP status the emulator answers with a Zuora-shaped body.
_STATUS_CODES = {
    400: 70000020,
    401: 90000011,
    403: UNAUTHORIZED,
    404: METER_NOT_EXISTING,
    405: 70000045,
    413: 70000070,
    415: 70000045,
    429: RATE_LIMITED,
    500: 70000060,
    502: 70000061,
    503: 70000061,
}
# The emulator's own reason codes, mapped onto Zuora categories.
_REASON_CODES = {
    "MISSING_FIELD": 70000022,
    "EMPTY_FIELD": 70000022,
    "INVALID_TYPE": 70000020,
    "INVALID_FORMAT": 70000020,
    "UNKNOWN_FIELD": 70000021,
    "NOT_AN_OBJECT": 70000090,
    "INVALID_JSON": 70000090,
    "EMPTY_BATCH": 70000090,
    "INVALID_BODY": 70000090,
}


def process_id() -> str:
    """A processId like Zuora's (16 upper-case hex digits)."""
    return secrets.token_hex(8).upper()


def status_code(status: int) -> int:
    """The Zuora-style code for a refusal with this HTTP status."""
    return _STATUS_CODES.get(status, 70000060 if status >= 500 else 70000020)


def reasons_body(problems: Iterable[Problem]) -> dict[str, Any]:
    """The v1 shape: ``success``, ``processId``, ``reasons[{code, message}]``."""
    return {
        "success": False,
        "processId": process_id(),
        "reasons": [{"code": code, "message": message} for code, message in problems],
    }


def errors_body(problems: Iterable[Problem]) -> dict[str, Any]:
    """The Meters shape: ``success``, ``errors[{code, message}]`` (codes as strings)."""
    return {
        "success": False,
        "errors": [{"code": str(code), "message": message} for code, message in problems],
    }


def shaped(shape: str, problems: Iterable[Problem]) -> dict[str, Any]:
    """``reasons_body`` or ``errors_body``, by the name of the shape."""
    return errors_body(problems) if shape == "errors" else reasons_body(problems)


def schema_problems(
    message: str, reasons: list[dict[str, Any]] | None, code: str | None, limit: int
) -> list[Problem]:
    """A refusal's problems without any event index: each distinct problem once.

    ``reasons`` are the emulator's indexed reasons (``index``, ``field``, ``code``,
    ``message``); ``code`` the body-level code (INVALID_JSON, ...) when there are none.
    """
    if not reasons:
        number = _REASON_CODES.get(code or "", 70000090 if code else 70000020)
        return [(number, without_index(message) if code else message)]
    seen: dict[str, int] = {}
    for r in reasons:
        text = without_index(str(r.get("message", "")))
        if text not in seen and len(seen) < limit:
            seen[text] = _REASON_CODES.get(str(r.get("code")), STREAM_API_VALIDATION)
    return [(number, text) for text, number in seen.items()]


def gateway_timeout_page() -> bytes:
    """What a gateway answers after 120 s: an HTML page, not JSON."""
    title = html.escape("504 Gateway Time-out")
    return (
        f"<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n"
        f"<center><h1>{title}</h1></center>\r\n</body>\r\n</html>\r\n"
    ).encode("ascii")
