"""Posting one batch of events to an upload URL, and telling "not sent" from "no answer".

One call is one request, and the exceptions say whether the request left the computer:

- :class:`NotSent`: failed before the body was completely sent (safe to retry),
- :class:`NoAnswer`: the body was sent but no answer came (the batch is *uncertain*).

A 401 fetches a fresh token and resends; a 401 with a token fetched seconds ago stops the
upload with a sentence about permissions (the secret itself was fine).
"""

from __future__ import annotations

import gzip
import json
import logging
import threading
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx

from zmed_gui.core.errors import ConnectionProblem
from zmed_gui.core.zuora._auth import (
    FRESH_TOKEN_SECONDS,
    REFUSED_UPLOAD,
    NotSent,
    TokenClient,
    transport_reason,
)
from zmed_gui.core.zuora._redact import LOGGER_NAME
from zmed_gui.core.zuora._retry import parse_retry_after

try:  # ISA-L: level 1 is ~40x faster than zlib's level 4, at about the same size
    from isal import igzip as _igzip
except ImportError:  # pragma: no cover - isal is a dependency; zlib is the fallback
    _igzip = None  # type: ignore[assignment]


def _gzip(body: bytes) -> bytes:
    """A request body gzipped (a standard gzip member either way)."""
    if _igzip is not None:
        return bytes(_igzip.compress(body, compresslevel=1))
    return gzip.compress(body, compresslevel=4)


log = logging.getLogger(LOGGER_NAME)  # redacted: see zuora_redact


class NoAnswer(Exception):
    """The body was sent but no answer came (timeout, dropped connection): uncertain."""


@dataclass
class PostResult:
    """Zuora's answer to one POST of a batch.

    ``ok`` means *received*: a 2xx whose body does not say ``"success": false`` (a 200 with
    ``success: false`` has not been taken). ``messages`` are every message the body had, in
    any of Zuora's shapes (``message``, ``reasons[]``, ``errors[]``, nested);
    ``process_id`` is kept beside ``request_id`` for Zuora support. ``ratelimit_remaining``
    and ``ratelimit_reset`` (seconds) come from the ``ratelimit-*`` headers, so the client
    can pace itself before it gets a 429.
    """

    status: int
    request_id: str | None = None
    track_id: str | None = None
    message: str = ""
    reasons: list[dict[str, Any]] = field(default_factory=list)
    retry_after: float | None = None
    resent_after_401: bool = False
    success: bool | None = None
    process_id: str | None = None
    messages: list[str] = field(default_factory=list)
    location: str | None = None
    ratelimit_remaining: int | None = None
    ratelimit_reset: float | None = None

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300 and self.success is not False


_MESSAGE_KEYS = ("message", "Message", "errorMessage", "error_description", "error", "title")
_MAX_MESSAGES = 20


def _collect(data: Any, out: list[str], reasons: list[dict[str, Any]], depth: int = 0) -> None:
    """Every message in a body, in order, whatever the shape (bounded in depth and count)."""
    if depth > 6 or len(out) >= _MAX_MESSAGES:
        return
    if isinstance(data, dict):
        for key in _MESSAGE_KEYS:
            value = data.get(key)
            if isinstance(value, str) and value.strip():
                code = data.get("code")
                text = value.strip()[:500]
                out.append(f"{text} (code {code})" if isinstance(code, str | int) else text)
                break
        for key in ("reasons", "errors", "details", "Errors"):
            items = data.get(key)
            if isinstance(items, list):
                for item in items[:100]:
                    if isinstance(item, dict):
                        reasons.append(item)
                    _collect(item, out, reasons, depth + 1)
            elif isinstance(items, dict):
                _collect(items, out, reasons, depth + 1)
    elif isinstance(data, str) and data.strip() and depth:
        out.append(data.strip()[:500])


def parse_body(resp: httpx.Response) -> tuple[Any, list[str], list[dict[str, Any]]]:
    """A body's JSON (None if it is not), every message in any of Zuora's shapes, and its
    reasons/errors items: what every call that reads a Zuora answer uses."""
    try:
        data = resp.json()
    except (ValueError, UnicodeDecodeError):
        text = " ".join(resp.text.split())[:300]
        return None, ([text] if text else []), []
    messages: list[str] = []
    reasons: list[dict[str, Any]] = []
    _collect(data, messages, reasons)
    return data, list(dict.fromkeys(messages)), reasons


def _number(value: str | None) -> float | None:
    """The first number of a header such as ``ratelimit-remaining: 0`` or ``12, 40;w=60``."""
    if not value:
        return None
    head = value.split(",")[0].split(";")[0].strip()
    try:
        n = float(head)
    except ValueError:
        return None
    return n if n >= 0 else None


class ZuoraClient(TokenClient):
    """One shared HTTP/1.1 client for all worker threads, with a cached OAuth token.

    Args:
        base_url: e.g. ``https://rest.zuora.com`` (http only to this computer).
        client_id, client_secret: the OAuth client of the tenant.
        entity_ids: sent as Zuora-Entity-Ids when not empty.
        org_ids: sent as Zuora-Org-Ids (comma separated) when not empty.
        ca_bundle: an extra PEM file of trusted CA certificates.
        proxy: a proxy URL; None takes HTTPS_PROXY/NO_PROXY from the environment.
        timeout: seconds to wait for an answer (Zuora's gateway gives up at 120 s).
        max_connections: connection pool size (Zuora allows 40 concurrent requests).
    """

    # ---------------------------------------------------------------- posting

    def post_events(
        self,
        url: str,
        body: bytes,
        *,
        track_id: str | None = None,
        gzip_body: bool = True,
    ) -> PostResult:
        """POST one JSON array (already serialised) to an upload URL.

        401 -> a new token and a resend; a 401 with a token fetched seconds ago raises
        ConnectionProblem (Zuora took the credentials but refuses the upload with them).

        Raises:
            NotSent: nothing (complete) reached Zuora; safe to retry.
            NoAnswer: the body was sent but no answer came; the batch is uncertain.
            ConnectionProblem: the credentials were refused, or the address is unusable.
        """
        headers = {"Content-Type": "application/json", "Accept-Encoding": "gzip"}
        if gzip_body:
            body = _gzip(body)
            headers["Content-Encoding"] = "gzip"
        if track_id:
            headers["Zuora-Track-Id"] = track_id
        if self.entity_ids:
            headers["Zuora-Entity-Ids"] = self.entity_ids
        if self.org_ids:
            headers["Zuora-Org-Ids"] = self.org_ids
        resent = False
        for _ in range(3):
            token, age = self.token_and_age()
            headers["Authorization"] = f"Bearer {token}"
            resp = self._send(url, body, headers)
            if resp.status_code != 401:
                break
            # A 401 from the meter is not a verdict on the secret: the token may have
            # expired early. Fetch a fresh one and resend; only a 401 with a token fetched
            # seconds ago means Zuora refuses the upload with these credentials.
            self.invalidate_token(token)
            if resent and age < FRESH_TOKEN_SECONDS:
                log.warning("HTTP 401 from %s with a fresh token", self._host())
                raise ConnectionProblem(REFUSED_UPLOAD)
            log.info("HTTP 401 from %s: fetching a new token and resending", self._host())
            resent = True
        data, messages, reasons = parse_body(resp)
        success = data.get("success") if isinstance(data, dict) else None
        process_id = data.get("processId") if isinstance(data, dict) else None
        remaining = _number(resp.headers.get("ratelimit-remaining"))
        result = PostResult(
            status=resp.status_code,
            request_id=resp.headers.get("Zuora-Request-Id"),
            track_id=resp.headers.get("Zuora-Track-Id"),
            message="; ".join(messages)[:1000],
            reasons=reasons,
            retry_after=parse_retry_after(resp.headers.get("Retry-After")),
            resent_after_401=resent,
            success=success if isinstance(success, bool) else None,
            process_id=str(process_id)[:100] if isinstance(process_id, str | int) else None,
            messages=messages,
            location=resp.headers.get("Location"),
            ratelimit_remaining=None if remaining is None else int(remaining),
            ratelimit_reset=_number(resp.headers.get("ratelimit-reset")),
        )
        log.debug(
            "POST %s -> %s request-id=%s", urlsplit(url).path, resp.status_code, result.request_id
        )
        return result

    def _send(self, url: str, body: bytes, headers: dict[str, str]) -> httpx.Response:
        sent = threading.Event()

        def trace(name: str, info: dict[str, Any]) -> None:
            if name.endswith("send_request_body.complete"):
                sent.set()

        try:
            request = self._http.build_request(
                "POST", url, content=body, headers=headers, extensions={"trace": trace}
            )
            resp = self._http.send(request)
            resp.read()
            return resp
        except (httpx.UnsupportedProtocol, httpx.InvalidURL) as exc:
            log.info("upload URL %r refused by httpx: %s", url, type(exc).__name__)
            raise ConnectionProblem(
                f"'{url}' cannot be used as an upload URL (it must be a web address that "
                "starts with https://); check it."
            ) from None
        except httpx.RequestError as exc:
            # the class name goes to the log only; the message is the plain reason
            kind, reason = type(exc).__name__, transport_reason(exc)
            if not sent.is_set():
                self._raise_if_untrusted(exc)
            if sent.is_set():
                log.warning("no answer from %s after sending (%s)", self._host(), kind)
                raise NoAnswer(reason) from None
            log.info("request to %s not sent (%s)", self._host(), kind)
            raise NotSent(f"nothing was sent: {reason}") from None


def describe_status(status: int) -> str:
    """A short phrase for an HTTP status in messages."""
    phrases = {
        400: "rejected the events",
        401: "refused the token",
        404: "does not know this meter",
        413: "found the batch too large",
        429: "asked to slow down",
    }
    return phrases.get(status, f"answered HTTP {status}")


def encode_json(data: Any) -> bytes:
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
