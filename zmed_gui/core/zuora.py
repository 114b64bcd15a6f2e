"""Talking to Zuora: OAuth client credentials and posting one batch of events (httpx).

One :class:`ZuoraClient` (one HTTP/1.1 ``httpx.Client`` with a connection pool) is shared by
all upload threads. The OAuth token is cached until shortly before it expires; one thread
refreshes it at a time. A 401 refreshes the token once and resends; a second 401 stops the
upload. Retrying, splitting and journaling live in :mod:`zmed_gui.core.upload`; here one
call is one request, and the exceptions say whether the request left the computer:

- :class:`NotSent`: failed before the body was completely sent (safe to retry),
- :class:`NoAnswer`: the body was sent but no answer came (the batch is *uncertain*).

TLS is always verified with the operating system's trust store (truststore), plus an
optional CA bundle file; plain http is allowed only to this computer (the emulator).
The token and the client secret are redacted from every log line of httpx/httpcore/zmed_gui.
"""

from __future__ import annotations

import email.utils
import gzip
import json
import logging
import random
import ssl
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import httpx
import truststore

from zmed_gui.core.connections import (
    PATH_STYLES,
    ConnectionTestResult,
    PathStyle,
    Target,
    check_base_url,
    is_loopback_host,
    make_target,
)
from zmed_gui.core.errors import ConnectionProblem, OptionsError, ZmedError
from zmed_gui.core.logs import RedactingFilter, add_secret

if TYPE_CHECKING:
    from zmed_gui.core.connections import Connection

log = logging.getLogger(__name__)

REFUSED = "Zuora refused the client ID and secret: check them in Connections."
USER_AGENT = "zmed-gui/0.1"

# --------------------------------------------------------------------------- redaction


# The log module's filter also sits on these loggers (not only on its handlers), so a
# record is clean before it reaches any handler: pytest's, a GUI log view, the console.
_redactor = RedactingFilter()
_REDACTED_LOGGERS = (
    "httpx",
    "httpcore",
    "httpcore.connection",
    "httpcore.http11",
    "httpcore.proxy",
    "zmed_gui",
    "zmed_gui.core.zuora",
    "zmed_gui.core.upload",
    "zmed_gui.core.journal",
    "zmed_gui.core.credentials",
    "zmed_gui.cli",
)
for _name in _REDACTED_LOGGERS:
    logging.getLogger(_name).addFilter(_redactor)


def register_secret(secret: str) -> None:
    """Make sure ``secret`` never appears in a log line (it becomes ***)."""
    add_secret(secret)


# --------------------------------------------------------------------------- track ids


def check_track_id(track_id: str) -> str:
    """A Zuora-Track-Id: at most 64 US-ASCII characters, none of : ; " '."""
    bad = set(":;\"'")
    if (
        not track_id
        or len(track_id) > 64
        or not track_id.isascii()
        or not track_id.isprintable()
        or any(ch in bad for ch in track_id)
    ):
        raise OptionsError(
            f"The track ID '{track_id}' cannot be used; use at most 64 plain ASCII characters "
            "without : ; \" or '."
        )
    return track_id


def new_track_id() -> str:
    """A fresh track id for one upload (``zmed-`` + 32 hex)."""
    return f"zmed-{uuid.uuid4().hex}"


# --------------------------------------------------------------------------- results


class NotSent(Exception):
    """The request failed before its body was completely sent: retrying cannot double-send."""


class NoAnswer(Exception):
    """The body was sent but no answer came (timeout, dropped connection): uncertain."""


@dataclass
class PostResult:
    """Zuora's answer to one POST of a batch."""

    status: int
    request_id: str | None = None
    track_id: str | None = None
    message: str = ""
    reasons: list[dict[str, Any]] = field(default_factory=list)
    retry_after: float | None = None
    resent_after_401: bool = False

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Retry-After in seconds (delta-seconds or an HTTP date); None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    now = time.time() if now is None else now
    return max(0.0, when.timestamp() - now)


def _body_message(resp: httpx.Response) -> tuple[str, list[dict[str, Any]]]:
    try:
        data = resp.json()
    except (ValueError, UnicodeDecodeError):
        text = resp.text.strip().replace("\n", " ")
        return (text[:300], [])
    message = ""
    reasons: list[dict[str, Any]] = []
    if isinstance(data, dict):
        for key in ("message", "Message", "error_description", "error"):
            if isinstance(data.get(key), str):
                message = data[key]
                break
        raw = data.get("reasons")
        if isinstance(raw, list):
            reasons = [r for r in raw if isinstance(r, dict)]
        if not message and reasons:
            message = str(reasons[0].get("message", ""))
    return (message[:1000], reasons)


# --------------------------------------------------------------------------- client


class ZuoraClient:
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

    def __init__(
        self,
        base_url: str,
        client_id: str,
        client_secret: str,
        *,
        entity_ids: str = "",
        org_ids: str = "",
        ca_bundle: str | None = None,
        proxy: str | None = None,
        timeout: float = 130.0,
        max_connections: int = 40,
    ) -> None:
        self.base_url = check_base_url(base_url)
        if not client_id.strip():
            raise OptionsError("No client ID was given; enter the OAuth client ID of the tenant.")
        if not client_secret:
            raise ConnectionProblem("No client secret was given; enter it in Connections.")
        self.client_id = client_id.strip()
        self._secret = client_secret
        register_secret(client_secret)
        self.entity_ids = entity_ids.strip()
        self.org_ids = ",".join(p.strip() for p in org_ids.split(",") if p.strip())
        self._token: str | None = None
        self._token_expires = 0.0
        self._token_lock = threading.Lock()
        self.token_fetches = 0
        host = urlsplit(self.base_url).hostname or ""
        loopback = is_loopback_host(host)
        ctx = truststore.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        if ca_bundle:
            try:
                ctx.load_verify_locations(cafile=ca_bundle)
            except (OSError, ssl.SSLError) as exc:
                raise OptionsError(
                    f"The CA bundle '{ca_bundle}' cannot be read as PEM certificates "
                    f"({type(exc).__name__}); choose another file."
                ) from None
        if proxy:
            p = urlsplit(proxy)
            if p.scheme not in ("http", "https", "socks5") or not p.hostname:
                raise OptionsError(
                    f"The proxy '{p.scheme}://{p.hostname}' is not a proxy URL; use "
                    "http://host:port."
                )
        self._http = httpx.Client(
            verify=ctx,
            proxy=proxy or None,
            # Never route this computer's emulator through a proxy from the environment.
            trust_env=not loopback and not proxy,
            http1=True,
            http2=False,
            timeout=httpx.Timeout(timeout, connect=min(timeout, 20.0), pool=None),
            limits=httpx.Limits(
                max_connections=max_connections, max_keepalive_connections=max_connections
            ),
            headers={"User-Agent": USER_AGENT},
            follow_redirects=False,
        )

    @classmethod
    def for_connection(
        cls, conn: Connection, secret: str, *, timeout: float = 130.0, max_connections: int = 40
    ) -> ZuoraClient:
        """A client for a saved connection (its base URL, ids, CA bundle and proxy)."""
        return cls(
            conn.base_url,
            conn.client_id,
            secret,
            entity_ids=conn.entity_ids,
            org_ids=conn.org_ids,
            ca_bundle=conn.ca_bundle or None,
            proxy=conn.proxy or None,
            timeout=timeout,
            max_connections=max_connections,
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> ZuoraClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:  # never show the secret or the token
        return f"ZuoraClient({self.base_url!r}, client_id={self.client_id!r})"

    # ---------------------------------------------------------------- OAuth

    def _host(self) -> str:
        return urlsplit(self.base_url).netloc

    def token(self) -> str:
        """A valid bearer token (fetched once, shared, renewed shortly before it expires)."""
        with self._token_lock:
            if self._token is not None and time.monotonic() < self._token_expires:
                return self._token
            self._token = None
            return self._fetch_token()

    def invalidate_token(self, bad: str) -> None:
        """Forget ``bad`` (after a 401); a newer token fetched by another thread is kept."""
        with self._token_lock:
            if self._token == bad:
                self._token = None

    def _fetch_token(self) -> str:
        url = f"{self.base_url}/oauth/token"
        for attempt in range(4):
            try:
                resp = self._http.post(
                    url,
                    data={
                        "client_id": self.client_id,
                        "client_secret": self._secret,
                        "grant_type": "client_credentials",
                    },
                    headers={"Accept": "application/json"},
                )
            except httpx.TransportError as exc:
                self._raise_if_untrusted(exc)
                log.info("token request to %s failed: %s", self._host(), type(exc).__name__)
                raise NotSent(f"the token request failed ({type(exc).__name__})") from None
            if resp.status_code == 429 and attempt < 3:
                wait = parse_retry_after(resp.headers.get("Retry-After"))
                time.sleep(min(wait if wait is not None else 2.0**attempt, 30.0))
                continue
            break
        self.token_fetches += 1
        if resp.status_code in (400, 401, 403):
            log.warning("token refused by %s: HTTP %s", self._host(), resp.status_code)
            raise ConnectionProblem(REFUSED)
        if resp.status_code == 429 or resp.status_code >= 500:
            raise NotSent(f"the token endpoint answered HTTP {resp.status_code}")
        if resp.status_code == 404:
            raise ConnectionProblem(
                f"{self.base_url} has no OAuth token endpoint (HTTP 404); check the "
                "environment or base URL of the connection."
            )
        try:
            data = resp.json()
            token = str(data["access_token"])
            lifetime = float(data.get("expires_in", 3599))
        except (ValueError, KeyError, TypeError):
            raise ConnectionProblem(
                f"{self.base_url} did not answer the token request like Zuora "
                f"(HTTP {resp.status_code}); check the environment or base URL."
            ) from None
        register_secret(token)
        margin = min(60.0, lifetime / 10)
        self._token = token
        self._token_expires = time.monotonic() + max(1.0, lifetime - margin)
        log.info("got a token from %s (lifetime %.0f s)", self._host(), lifetime)
        return token

    def _raise_if_untrusted(self, exc: BaseException) -> None:
        """A certificate that cannot be verified is not worth retrying: say what to do."""
        seen: BaseException | None = exc
        while seen is not None:
            if isinstance(seen, ssl.SSLCertVerificationError):
                reason = seen.verify_message or "not trusted"
                log.warning("TLS certificate of %s rejected: %s", self._host(), reason)
                raise ConnectionProblem(
                    f"The certificate of {self._host()} cannot be trusted ({reason}); if your "
                    "network inspects HTTPS, add your company's CA certificate file to the "
                    "connection (CA bundle)."
                ) from None
            seen = seen.__cause__ or seen.__context__
        return

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

        401 -> a new token and one resend; a second 401 raises ConnectionProblem.

        Raises:
            NotSent: nothing (complete) reached Zuora; safe to retry.
            NoAnswer: the body was sent but no answer came; the batch is uncertain.
            ConnectionProblem: the credentials were refused, or the address is unusable.
        """
        headers = {"Content-Type": "application/json", "Accept-Encoding": "gzip"}
        if gzip_body:
            body = gzip.compress(body, compresslevel=4)
            headers["Content-Encoding"] = "gzip"
        if track_id:
            headers["Zuora-Track-Id"] = track_id
        if self.entity_ids:
            headers["Zuora-Entity-Ids"] = self.entity_ids
        if self.org_ids:
            headers["Zuora-Org-Ids"] = self.org_ids
        resent = False
        for _ in range(2):
            token = self.token()
            headers["Authorization"] = f"Bearer {token}"
            resp = self._send(url, body, headers)
            if resp.status_code != 401:
                break
            self.invalidate_token(token)
            if resent:
                raise ConnectionProblem(REFUSED)
            log.info("HTTP 401 from %s: fetching a new token and resending once", self._host())
            resent = True
        message, reasons = _body_message(resp)
        result = PostResult(
            status=resp.status_code,
            request_id=resp.headers.get("Zuora-Request-Id"),
            track_id=resp.headers.get("Zuora-Track-Id"),
            message=message,
            reasons=reasons,
            retry_after=parse_retry_after(resp.headers.get("Retry-After")),
            resent_after_401=resent,
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
            raise ConnectionProblem(
                f"'{url}' cannot be used as an upload URL ({type(exc).__name__}); check it."
            ) from None
        except httpx.TransportError as exc:
            kind = type(exc).__name__
            if not sent.is_set():
                self._raise_if_untrusted(exc)
            if sent.is_set():
                log.warning("no answer from %s after sending (%s)", self._host(), kind)
                raise NoAnswer(f"no answer after sending ({kind})") from None
            log.info("request to %s not sent (%s)", self._host(), kind)
            raise NotSent(f"could not send ({kind})") from None


# --------------------------------------------------------------------------- probing


def _probe_target(conn: Connection, meter_id: str | None, target: Target | None) -> Target | None:
    if target is not None:
        return target
    if meter_id:
        return make_target(conn.base_url, meter_id, conn.path_style)
    return conn.default_target()


def probe_connection(
    conn: Connection,
    secret: str,
    *,
    meter_id: str | None = None,
    target: Target | None = None,
    timeout: float = 15.0,
) -> ConnectionTestResult:
    """See :func:`zmed_gui.core.connections.test_connection`."""
    result = ConnectionTestResult(ok=False, token_ok=False, style=None, upload_url=None)
    try:
        tgt = _probe_target(conn, meter_id, target)
        client = ZuoraClient.for_connection(conn, secret, timeout=timeout, max_connections=2)
    except ZmedError as exc:
        result.sentences.append(str(exc))
        return result
    with client:
        try:
            client.token()
        except ZmedError as exc:
            result.sentences.append(str(exc))
            return result
        except NotSent as exc:
            result.sentences.append(
                f"Cannot reach {client.base_url} ({exc}); check the network, proxy or environment."
            )
            return result
        result.token_ok = True
        result.sentences.append(f"Signed in to {client.base_url} as client {conn.client_id}.")
        if tgt is None:
            result.ok = True
            result.sentences.append("No meter was given, so no upload URL was tried.")
            return result
        styles: list[PathStyle] = [tgt.style, *(s for s in PATH_STYLES if s != tgt.style)]
        tried: list[str] = []
        for style in styles:
            url = tgt.with_style(style).url
            tried.append(url)
            try:
                # An empty array carries no usage: it only shows whether the path exists.
                res = client.post_events(url, b"[]", gzip_body=False)
            except ZmedError as exc:
                result.sentences.append(str(exc))
                return result
            except (NotSent, NoAnswer) as exc:
                result.sentences.append(f"The meter URL {url} did not answer ({exc}).")
                return result
            if res.status == 404:
                continue
            if res.status >= 500:
                result.sentences.append(
                    f"The meter URL {url} answered HTTP {res.status}; Zuora may be busy, "
                    "try again later."
                )
                return result
            result.ok = True
            result.style = style
            result.upload_url = url
            result.sentences.append(
                f"The meter {tgt.meter_id} answers at {url} (path style '{style}')."
            )
            return result
        result.sentences.append(
            f"Zuora does not know the meter {tgt.meter_id} at {' or '.join(tried)}; check the "
            "meter ID or paste the meter's Unique Upload URL."
        )
        return result


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


# --------------------------------------------------------------------------- pacing


def backoff_delay(attempt: int, base: float, cap: float, rng: random.Random | None = None) -> float:
    """Exponential backoff with full jitter: ``random(0, min(cap, base * 2**attempt))``."""
    r = rng or random
    return r.uniform(0.0, min(cap, base * (2.0**attempt)))


class RateLimiter:
    """A token bucket shared by the upload threads: at most ``calls_per_minute`` requests.

    The bucket holds at most ``burst`` calls so a long idle time never allows a flood.
    """

    def __init__(self, calls_per_minute: float, burst: int = 1) -> None:
        self.rate = max(calls_per_minute, 0.001) / 60.0
        self.capacity = float(max(1, burst))
        self._tokens = self.capacity
        self._last = time.monotonic()
        self._lock = threading.Lock()

    def acquire(self, stop: threading.Event | None = None) -> bool:
        """Wait for one call; False when ``stop`` was set while waiting."""
        while True:
            with self._lock:
                now = time.monotonic()
                self._tokens = min(self.capacity, self._tokens + (now - self._last) * self.rate)
                self._last = now
                if self._tokens >= 1.0:
                    self._tokens -= 1.0
                    return True
                wait = (1.0 - self._tokens) / self.rate
            if stop is not None:
                if stop.wait(min(wait, 0.5)):
                    return False
            else:
                time.sleep(min(wait, 0.5))
