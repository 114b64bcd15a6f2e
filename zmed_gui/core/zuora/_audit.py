"""Reading a meter's audit trail of errors: what Mediation rejected after answering 200.

``GET {base}/meters/{meterNumber}/auditTrail/entries?exportType=ERROR&runType=NORMAL
&queryFromTime=..&queryToTime=..&pageSize=500[&cursor=..]``, every page. ``meterNumber`` is
the meter's numeric ID (shown on its page in Zuora), not the 32-hex global ID of the upload
URL: no documented call maps one to the other. Nothing links an entry to a request or a
track ID, so the caller matches each entry's ``payload`` to what it sent.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx

from zmed_gui.core.errors import ConnectionProblem, OptionsError, ZuoraUnreachable
from zmed_gui.core.zuora._auth import transport_reason
from zmed_gui.core.zuora._post import parse_body
from zmed_gui.core.zuora._redact import LOGGER_NAME

if TYPE_CHECKING:
    from zmed_gui.core.progress import CancelToken
    from zmed_gui.core.zuora._auth import TokenClient

log = logging.getLogger(LOGGER_NAME)

PAGE_SIZE = 500  # Zuora's largest page
MAX_PAGES = 20_000  # 10 million entries: far beyond one upload, bounded all the same


@dataclass(frozen=True)
class AuditEntry:
    """One error of the meter: when, Zuora's code and message, and the event as received."""

    error_time: dt.datetime | None
    code: str
    message: str
    payload: dict[str, Any] | None
    event_id: str = ""


def check_meter_number(value: str | int) -> int:
    """The meter's numeric ID, as Zuora shows it on the meter's page (the audit trail's and
    the export's key)."""
    text = str(value).strip()
    if (
        isinstance(value, bool)
        or not text.isascii()
        or not text.isdigit()
        or not 0 < int(text) < 10**15
    ):
        raise OptionsError(
            f"The meter number {text[:40]!r} is not a whole number; the meter number is shown "
            "on the meter's page in Zuora Mediation (the meter's numeric ID, not the "
            "32-character ID of its Upload URL)."
        )
    return int(text)


def _iso(when: dt.datetime) -> str:
    return when.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _entry(raw: Any) -> AuditEntry | None:
    if not isinstance(raw, dict):
        return None
    when: dt.datetime | None = None
    try:
        when = dt.datetime.fromtimestamp(int(str(raw.get("errorTime"))) / 1000, dt.UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        when = None
    payload = raw.get("payload")
    return AuditEntry(
        error_time=when,
        code=str(raw.get("errorCode") or "")[:100],
        message=str(raw.get("errorMessage") or "")[:1000],
        payload=payload if isinstance(payload, dict) else None,
        event_id=str(raw.get("eventId") or "")[:200],
    )


def fetch_audit_errors(
    client: TokenClient,
    meter_number: int,
    since: dt.datetime,
    until: dt.datetime,
    *,
    progress: Callable[[int, str], None] | None = None,
    cancel: CancelToken | None = None,
) -> list[AuditEntry]:
    """Every ERROR entry of the meter between ``since`` and ``until``, all pages.

    Raises:
        ConnectionProblem: 401/403/404 and other refusals, with a sentence.
        ZuoraUnreachable: no answer, or 5xx.
    """
    url = f"{client.base_url}/meters/{meter_number}/auditTrail/entries"
    params: dict[str, str | int] = {
        "exportType": "ERROR",
        "runType": "NORMAL",
        "queryFromTime": _iso(since),
        "queryToTime": _iso(until),
        "pageSize": PAGE_SIZE,
    }
    entries: list[AuditEntry] = []
    seen_cursors: set[str] = set()
    for _page in range(MAX_PAGES):
        if cancel is not None:
            cancel.raise_if_cancelled()
        data = _get(client, url, params, meter_number)
        for raw in data.get("data") or []:
            entry = _entry(raw)
            if entry is not None:
                entries.append(entry)
        if progress is not None:
            progress(len(entries), f"Reading the meter's audit trail: {len(entries):,} errors…")
        cursor = data.get("nextPage")
        if not isinstance(cursor, str) or not cursor or cursor in seen_cursors:
            return entries
        seen_cursors.add(cursor)
        params["cursor"] = cursor
    return entries


def _get(
    client: TokenClient, url: str, params: dict[str, str | int], meter_number: int
) -> dict[str, Any]:
    for fresh in (False, True):
        token = client.token()
        try:
            resp = client.http.get(
                url,
                params=params,
                headers={
                    "Authorization": f"Bearer {token}",
                    "Content-Type": "application/json",  # Zuora's reference marks it required
                    "Accept": "application/json",
                },
            )
        except httpx.RequestError as exc:
            log.info("audit-trail request failed: %s", type(exc).__name__)
            raise ZuoraUnreachable(
                f"Zuora did not answer the audit-trail request ({transport_reason(exc)}); "
                "check the network and try again."
            ) from None
        if resp.status_code == 401 and not fresh:
            client.invalidate_token(token)
            continue
        break
    status = resp.status_code
    if status == 200:
        try:
            data = resp.json()
        except ValueError:
            data = None
        if isinstance(data, dict) and data.get("success") is not False:
            return data
        raise ConnectionProblem(
            "Zuora's answer to the audit-trail request could not be read; try again later."
        )
    _data, messages, _reasons = parse_body(resp)
    said = f" ({'; '.join(messages)[:300]})" if messages else ""
    if status == 404:
        raise ConnectionProblem(
            f"Zuora has no meter number {meter_number} on this tenant (HTTP 404){said}; the "
            "meter number is shown on the meter's page in Zuora Mediation."
        )
    if status in (401, 403):
        raise ConnectionProblem(
            f"Zuora refused to show the meter's audit trail (HTTP {status}){said}; the OAuth "
            "client needs permission to view meters in Mediation."
        )
    if status == 429 or status >= 500:
        raise ZuoraUnreachable(
            f"Zuora could not give the audit trail now (HTTP {status}){said}; try again later."
        )
    raise ConnectionProblem(f"Zuora refused the audit-trail request (HTTP {status}){said}.")
