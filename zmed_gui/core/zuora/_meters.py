"""Fetching a meter's own definition from Zuora: ``GET {base}/meters/export/{meterId}``.

The export is read into a :class:`~zmed_gui.core.meterdef.MeterDefinition` exactly as an
exported file would be. ``meterId`` is the meter's numeric ID (shown on its page in
Mediation), not the 32-character global ID of the upload URL.

Uses the shared client's HTTP connection pool (``TokenClient.http``) and cached token, as
the audit-trail reader does. A 401 fetches a fresh token once and asks again. The answer
is read up to :data:`MAX_EXPORT_BYTES` and parsed with the same
bounds as a file; every failure is one sentence.
"""

from __future__ import annotations

import logging
from typing import Any

import httpx

from zmed_gui.core.errors import ConnectionProblem, OptionsError, ZuoraUnreachable
from zmed_gui.core.jsonfile import MAX_JSON_FILE_BYTES, parse_json_bytes
from zmed_gui.core.meterdef import MeterDefinition, meter_definition_from_json
from zmed_gui.core.zuora._audit import check_meter_number
from zmed_gui.core.zuora._auth import NotSent, TokenClient, transport_reason
from zmed_gui.core.zuora._redact import LOGGER_NAME

log = logging.getLogger(LOGGER_NAME)  # redacted: see zuora_redact

MAX_EXPORT_BYTES = MAX_JSON_FILE_BYTES
WHERE_THE_NUMBER_IS = "the meter number is shown on the meter's page in Zuora Mediation"


def _error_text(body: bytes) -> str:
    """The messages of a Zuora error body (v1 ``reasons``, Meters ``errors``), or ''."""
    try:
        data: Any = parse_json_bytes(body[:100_000], "The answer")
    except OptionsError:
        return ""
    if not isinstance(data, dict):
        return ""
    messages: list[str] = []
    for key in ("message", "error_description"):
        if isinstance(data.get(key), str):
            messages.append(data[key])
    for key in ("reasons", "errors"):
        items = data.get(key)
        if isinstance(items, list):
            messages += [
                str(i["message"]) for i in items[:5] if isinstance(i, dict) and "message" in i
            ]
    text = " ".join(m.strip().rstrip(".") for m in messages if m.strip())
    return text[:300]


def _get(client: TokenClient, url: str, headers: dict[str, str]) -> tuple[int, bytes, str]:
    """One GET: (status, body up to the limit + 1 byte, content type)."""
    try:
        with client.http.stream("GET", url, headers=headers) as resp:
            chunks: list[bytes] = []
            size = 0
            for chunk in resp.iter_bytes():
                chunks.append(chunk)
                size += len(chunk)
                if size > MAX_EXPORT_BYTES:
                    break
            return resp.status_code, b"".join(chunks), resp.headers.get("Content-Type", "")
    except (httpx.UnsupportedProtocol, httpx.InvalidURL) as exc:
        log.info("meter export URL %r refused by httpx: %s", url, type(exc).__name__)
        raise ConnectionProblem(
            f"'{url}' cannot be used to export a meter (it must start with https://); check "
            "the base URL of the connection."
        ) from None
    except httpx.DecodingError:
        raise ConnectionProblem(
            f"{client.base_url} sent a meter definition that cannot be decompressed; try again."
        ) from None
    except httpx.RequestError as exc:
        client._raise_if_untrusted(exc)
        log.info("meter export from %s got no answer (%s)", client._host(), type(exc).__name__)
        raise ZuoraUnreachable(
            f"{client.base_url} did not answer the request for the meter definition "
            f"({transport_reason(exc)}); check the network, proxy or environment, and try "
            "again."
        ) from None


def fetch_meter_definition(client: TokenClient, meter_number: int | str) -> MeterDefinition:
    """``GET {base}/meters/export/{meter_number}`` read as a :class:`MeterDefinition`.

    Raises:
        OptionsError: the meter number is not a whole number.
        ConnectionProblem: refused (401 credentials, 403 permission), no such meter (404),
            or an answer that is not a meter definition; ZuoraUnreachable (a subclass) when
            no answer came. Each is one sentence.
    """
    number = check_meter_number(meter_number)
    url = f"{client.base_url}/meters/export/{number}"
    # Zuora's reference lists Content-Type as required on this GET.
    headers = {
        "Content-Type": "application/json",
        "Accept": "application/json",
        "Accept-Encoding": "gzip",
    }
    if client.entity_ids:
        headers["Zuora-Entity-Ids"] = client.entity_ids
    if client.org_ids:
        headers["Zuora-Org-Ids"] = client.org_ids
    for attempt in range(2):
        try:
            token = client.token()
        except NotSent as exc:
            raise ZuoraUnreachable(
                f"Cannot reach {client.base_url} to sign in ({exc}); check the network, proxy "
                "or environment."
            ) from None
        headers["Authorization"] = f"Bearer {token}"
        status, body, ctype = _get(client, url, headers)
        if status != 401 or attempt:
            break
        client.invalidate_token(token)  # it may have expired early: one fresh token, once
    log.info("GET /meters/export/%s -> %s", number, status)
    said = _error_text(body) if status >= 300 else ""
    said = f": {said}" if said else ""
    if status == 401:
        raise ConnectionProblem(
            f"Zuora refused the sign-in when asked for meter {number} (HTTP 401{said}); check "
            "the client ID and secret of the connection in Connections."
        )
    if status == 403:
        raise ConnectionProblem(
            f"Zuora does not let this OAuth client read meter {number} (HTTP 403{said}); ask "
            "your Zuora administrator for the Mediation permission Configure Meters and Events "
            "(or Run Meters), and check that Mediation is enabled on the tenant."
        )
    if status == 404:
        raise ConnectionProblem(
            f"There is no meter number {number} on this tenant (HTTP 404{said}); "
            f"{WHERE_THE_NUMBER_IS}."
        )
    if status == 429 or status >= 500:
        raise ZuoraUnreachable(
            f"Zuora could not export meter {number} just now (HTTP {status}{said}); try again "
            "in a minute."
        )
    if status != 200:
        raise ConnectionProblem(f"Zuora refused to export meter {number} (HTTP {status}{said}).")
    if len(body) > MAX_EXPORT_BYTES:
        raise ConnectionProblem(
            f"Zuora's definition of meter {number} is larger than "
            f"{MAX_EXPORT_BYTES // (1024 * 1024)} MB, which no meter needs; it was not read."
        )
    origin = f"Zuora's definition of meter {number}"
    try:
        data = parse_json_bytes(body, origin)
    except OptionsError:
        kind = ctype.split(";")[0].strip() or "no content type"
        raise ConnectionProblem(
            f"{client.base_url} answered the request for meter {number} with something that is "
            f"not JSON ({kind}); check the environment or base URL of the connection."
        ) from None
    try:
        return meter_definition_from_json(data, origin)
    except OptionsError as exc:  # a 200 that is not a meter: the server's fault, not a file's
        raise ConnectionProblem(str(exc)) from None
