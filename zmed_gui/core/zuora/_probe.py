"""Probing a connection: sign in, then find the path style the meter answers on.

The probe posts an empty JSON array to the meter (it carries no usage) and reads Zuora's
answer for what it says, no more:

- 200, or a 400 about the empty body: the meter answers at this path;
- 404 naming no meter: nothing answers at this path, so the other path is tried; a 404
  that names the meter: Zuora does not know the meter (the other path is not tried);
- 401 with a token fetched just before: the secret was fine, the meter refuses the client;
- 403: a permission or the Mediation feature is missing; 413: something on the way
  refuses bodies; 429: rate limited; 3xx: the address moved (never followed);
  5xx or no answer: not reachable now; anything else: the test cannot tell.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import httpx

from zmed_gui.core.connections import (
    PATH_STYLE_LABELS,
    PATH_STYLES,
    PathStyle,
    Target,
    check_same_tenant,
    make_target,
)
from zmed_gui.core.errors import ZmedError
from zmed_gui.core.zuora._auth import (
    AddressMoved,
    NotSent,
    TokenClient,
    moved_message,
    transport_reason,
)
from zmed_gui.core.zuora._redact import LOGGER_NAME
from zmed_gui.core.zuora._retry import parse_retry_after

if TYPE_CHECKING:
    from zmed_gui.core.connections import Connection

log = logging.getLogger(LOGGER_NAME)

METER_REFUSED = (
    "Zuora took the client ID and secret but refuses this meter with them (HTTP 401 from the "
    "meter with a token fetched just before): the OAuth client lacks permission (Run Meters) "
    "or Mediation is not enabled on this tenant; ask your Zuora administrator."
)
_EMPTY_WORDS = ("empty", "at least one", "at least 1", "no event", "no record", "minitems")
_METER_WORD = re.compile(r"\bmeter\b", re.IGNORECASE)
_METER_NOT_EXISTING = "70002103"  # Zuora's published Mediation code for an unknown meter


class ProbeOutcome(StrEnum):
    """What a connection test found, one kind per meaning."""

    ANSWERS = "answers"  # the meter answers at the path in ``style``
    SIGNED_IN = "signed-in"  # signed in; no meter was given, so none was tried
    NOT_TRIED = "not-tried"  # the settings cannot be used: nothing was sent
    SIGN_IN_FAILED = "sign-in-failed"  # the token request was refused or went wrong
    UNKNOWN_METER = "unknown-meter"  # a 404 that names the meter
    NO_PATH = "no-path"  # a 404 naming no meter on both paths
    METER_REFUSED = "meter-refused"  # 401 with a fresh token
    FORBIDDEN = "forbidden"  # 403
    TOO_LARGE = "too-large"  # 413 to a two-byte body
    RATE_LIMITED = "rate-limited"  # 429
    MOVED = "moved"  # 3xx, not followed
    UNAVAILABLE = "unavailable"  # 5xx, no answer, cannot connect
    UNCLEAR = "unclear"  # any other answer


@dataclass
class ConnectionTestResult:
    """What :func:`test_connection` found, as sentences for the user."""

    ok: bool
    token_ok: bool
    style: PathStyle | None  # the path style the meter answers at (a finding, not a guess)
    upload_url: str | None
    sentences: list[str] = field(default_factory=list)
    outcome: ProbeOutcome = ProbeOutcome.NOT_TRIED
    status: int | None = None  # the meter's last HTTP status, if it answered
    request_id: str | None = None  # Zuora-Request-Id of that answer

    @property
    def message(self) -> str:
        return " ".join(self.sentences)


class _Unreachable(Exception):
    """The probe request got no answer (cannot connect, dropped, timed out)."""


def _probe_target(conn: Connection, meter_id: str | None, target: Target | None) -> Target | None:
    if target is not None:
        check_same_tenant(conn.base_url, target)  # the token never goes to another host
        return target
    if meter_id:
        return make_target(conn.base_url, meter_id, conn.path_style)
    return conn.default_target()


def _messages(resp: httpx.Response) -> tuple[list[str], list[str]]:
    """The messages and the codes of an answer, in any of Zuora's error shapes."""
    try:
        data: Any = resp.json()
    except (ValueError, UnicodeDecodeError):
        text = resp.text.strip().replace("\n", " ")
        return ([text[:300]] if text and not text.startswith("<") else [], [])
    messages: list[str] = []
    codes: list[str] = []
    if isinstance(data, dict):
        for key in ("message", "Message", "error_description", "error"):
            if isinstance(data.get(key), str) and data[key].strip():
                messages.append(data[key].strip())
                break
        if isinstance(data.get("code"), (str, int)):
            codes.append(str(data["code"]))
        for key in ("reasons", "errors"):
            items = data.get(key)
            if isinstance(items, list):
                for item in items:
                    if isinstance(item, dict):
                        if isinstance(item.get("message"), str):
                            messages.append(item["message"].strip())
                        if isinstance(item.get("code"), (str, int)):
                            codes.append(str(item["code"]))
    unique = list(dict.fromkeys(m for m in messages if m))
    return ([m[:300] for m in unique[:3]], codes)


def _quoted(messages: list[str]) -> str:
    return f" Zuora said: {' '.join(messages)}" if messages else ""


def _names_meter(resp: httpx.Response, meter_id: str) -> bool:
    """A 404 that is about the meter, not about a path nothing answers at."""
    messages, codes = _messages(resp)
    if _METER_NOT_EXISTING in codes:
        return True
    text = " ".join(messages).lower()
    mid = meter_id.lower()
    # An echo of the request path ("no route for /usage/bulk/<id>") names no meter.
    if mid in text and f"/{mid}" not in text:
        return True
    return any(_METER_WORD.search(m) for m in messages)


def _about_empty_body(resp: httpx.Response) -> bool:
    messages, codes = _messages(resp)
    text = " ".join(messages).lower()
    return "EMPTY_BATCH" in codes or any(word in text for word in _EMPTY_WORDS)


def _post_probe(client: TokenClient, url: str) -> httpx.Response:
    """POST ``[]`` with the bearer token; a 401 gets one fresh token and one resend.

    Raises:
        _Unreachable: no answer (or no connection).
        ConnectionProblem: the certificate cannot be trusted, or the token request failed.
    """
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    if client.entity_ids:
        headers["Zuora-Entity-Ids"] = client.entity_ids
    if client.org_ids:
        headers["Zuora-Org-Ids"] = client.org_ids
    resp: httpx.Response | None = None
    for _attempt in range(2):
        token = client.token()
        headers["Authorization"] = f"Bearer {token}"
        try:
            resp = client._http.post(url, content=b"[]", headers=headers)
        except httpx.RequestError as exc:
            client._raise_if_untrusted(exc)
            log.info("meter probe failed: %s", type(exc).__name__)
            raise _Unreachable(transport_reason(exc)) from None
        if resp.status_code != 401:
            return resp
        client.invalidate_token(token)  # maybe expired early: one fresh token, one resend
    assert resp is not None
    return resp


def _wait_hint(resp: httpx.Response) -> str:
    wait = parse_retry_after(resp.headers.get("Retry-After"))
    if wait is None:
        reset = resp.headers.get("ratelimit-reset", "").strip()
        wait = float(reset) if reset.isdigit() else None
    if wait is None:
        return "try the test again in a minute"
    seconds = max(1, round(wait))
    return f"try the test again in {seconds:,} second{'s' if seconds != 1 else ''}"


def _judge(
    result: ConnectionTestResult, resp: httpx.Response, url: str, style: PathStyle, meter: str
) -> None:
    """Fill ``result`` from the meter's answer at ``url`` (anything but a no-route 404)."""
    status = resp.status_code
    messages, _codes = _messages(resp)
    said = _quoted(messages)
    result.status = status
    result.request_id = resp.headers.get("Zuora-Request-Id")
    ref = f" (Zuora-Request-Id {result.request_id})" if result.request_id else ""
    path = PATH_STYLE_LABELS[style].split()[0]

    def answers(extra: str = ".") -> None:
        result.ok, result.style, result.upload_url = True, style, url
        result.outcome = ProbeOutcome.ANSWERS
        result.sentences.append(f"The meter {meter} answers at {url} (upload path {path}){extra}")

    def fails(outcome: ProbeOutcome, sentence: str) -> None:
        result.outcome = outcome
        result.sentences.append(sentence)

    if 200 <= status < 300:
        try:
            body = resp.json()
        except (ValueError, UnicodeDecodeError):
            body = None
        if isinstance(body, dict) and body.get("success") is False:
            answers(
                "; it said success false to the empty test, which carried nothing to take." + said
            )
        else:
            answers()
    elif 300 <= status < 400:
        fails(ProbeOutcome.MOVED, moved_message(resp))
    elif status == 400 and _about_empty_body(resp):
        answers("; it refused the test's empty list of events, as it should.")
    elif status == 401:
        fails(ProbeOutcome.METER_REFUSED, METER_REFUSED + said)
    elif status == 403:
        fails(
            ProbeOutcome.FORBIDDEN,
            f"Zuora refuses the meter at {url} (HTTP 403): the OAuth client lacks a permission "
            "(Run Meters, or Configure Meters and Events) or Mediation is not enabled on this "
            f"tenant; ask your Zuora administrator.{said}{ref}",
        )
    elif status == 404:
        fails(
            ProbeOutcome.UNKNOWN_METER,
            f"Zuora does not know the meter {meter} at {url} (HTTP 404); check the meter ID or "
            f"paste the meter's Unique Upload URL.{said}{ref}",
        )
    elif status == 413:
        fails(
            ProbeOutcome.TOO_LARGE,
            f"{url} answered HTTP 413 (payload too large) to a test body of two bytes: "
            "something on the way (a proxy or gateway) refuses request bodies, or this is not "
            f"Zuora's address; uploads would be refused the same way.{said}{ref}",
        )
    elif status == 429:
        fails(
            ProbeOutcome.RATE_LIMITED,
            f"Zuora is limiting the calls of this tenant (HTTP 429 from {url}), so the test "
            f"could not tell whether the meter answers; {_wait_hint(resp)}.{said}",
        )
    elif status >= 500:
        fails(
            ProbeOutcome.UNAVAILABLE,
            f"{url} answered HTTP {status}: Zuora, or a gateway on the way, is not available "
            f"right now; try again later.{ref}",
        )
    else:
        what = "refused the test's empty list of events" if status == 400 else "answered"
        fails(
            ProbeOutcome.UNCLEAR,
            f"{url} {what} with HTTP {status}; the test cannot tell whether the meter takes "
            f"uploads.{said}{ref}",
        )


def test_connection(
    conn: Connection,
    secret: str,
    meter_id: str | None = None,
    *,
    target: Target | None = None,
    timeout: float = 15.0,
) -> ConnectionTestResult:
    """Fetch a token, then probe the meter (preferred style first, then the other one).

    A ``target`` (a pasted upload URL) must be on the connection's host: otherwise nothing
    is sent, not even the token request. The probe posts an empty JSON array, which
    carries no usage. Never raises for what it finds (wrong secret, unknown meter, no
    network): those come back as sentences and an :class:`ProbeOutcome`.
    """
    result = ConnectionTestResult(ok=False, token_ok=False, style=None, upload_url=None)
    try:
        tgt = _probe_target(conn, meter_id, target)
        client = TokenClient.for_connection(conn, secret, timeout=timeout, max_connections=2)
    except ZmedError as exc:
        result.sentences.append(str(exc))
        return result
    with client:
        try:
            client.token()
        except AddressMoved as exc:
            result.outcome = ProbeOutcome.MOVED
            result.sentences.append(str(exc))
            return result
        except ZmedError as exc:
            result.outcome = ProbeOutcome.SIGN_IN_FAILED
            result.sentences.append(str(exc))
            return result
        except NotSent as exc:
            result.outcome = ProbeOutcome.UNAVAILABLE
            said = str(exc)  # "could not reach host: the connection was refused ..."
            result.sentences.append(
                f"{said[:1].upper()}{said[1:]}; check the network, proxy or environment."
            )
            return result
        result.token_ok = True
        result.sentences.append(f"Signed in to {client.base_url} as client {conn.client_id}.")
        if tgt is None:
            result.ok = True
            result.outcome = ProbeOutcome.SIGNED_IN
            result.sentences.append("No meter was given, so no upload URL was tried.")
            return result
        styles: list[PathStyle] = [tgt.style, *(s for s in PATH_STYLES if s != tgt.style)]
        tried: list[str] = []
        for style in styles:
            url = tgt.with_style(style).url
            try:
                resp = _post_probe(client, url)
            except ZmedError as exc:
                result.outcome = ProbeOutcome.SIGN_IN_FAILED
                result.sentences.append(str(exc))
                return result
            except (_Unreachable, NotSent) as exc:
                result.outcome = ProbeOutcome.UNAVAILABLE
                result.sentences.append(
                    f"The meter URL {url} did not answer ({exc}); Zuora is not reachable now, "
                    "check the network or proxy and try again."
                )
                return result
            if resp.status_code == 404 and not _names_meter(resp, tgt.meter_id):
                tried.append(url)
                result.status = 404
                continue  # nothing answers at this path: try the other one
            _judge(result, resp, url, style, tgt.meter_id)
            if result.ok and tried:
                result.sentences.append(f"Nothing answers at {tried[0]} (the other upload path).")
            return result
        result.outcome = ProbeOutcome.NO_PATH
        result.sentences.append(
            f"Nothing answers at {' or '.join(tried)} (HTTP 404 naming no meter): check the "
            "environment or base URL; Mediation may not be enabled on this tenant."
        )
        return result


test_connection.__test__ = False  # type: ignore[attr-defined]  # not a pytest test
