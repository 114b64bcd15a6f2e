"""The shared HTTP client of :class:`~zmed_gui.core.zuora.ZuoraClient` and its OAuth token.

The OAuth token (client credentials) is cached until shortly before it expires; one thread
refreshes it at a time. TLS is always verified with the operating system's trust store
(truststore), plus an optional CA bundle file; plain http is allowed only to this computer
(the emulator), which is never reached through a proxy. Redirects are never followed: the
token or the secret would go along to wherever a 3xx points (see :func:`moved_message`).
"""

from __future__ import annotations

import logging
import ssl
import threading
import time
from typing import TYPE_CHECKING, Self
from urllib.parse import urlsplit

import httpx
import truststore

from zmed_gui.core.connections import check_base_url, is_loopback_host
from zmed_gui.core.errors import ConnectionProblem, OptionsError
from zmed_gui.core.zuora._redact import LOGGER_NAME, register_secret
from zmed_gui.core.zuora._retry import parse_retry_after

if TYPE_CHECKING:
    from zmed_gui.core.connections import Connection

log = logging.getLogger(LOGGER_NAME)  # redacted: see zuora_redact

REFUSED = "Zuora refused the client ID and secret: check them in Connections."
REFUSED_UPLOAD = (
    "Zuora accepted the client ID and secret but refuses the upload with them (HTTP 401 from "
    "the meter, with a token fetched seconds before); ask your Zuora administrator to give "
    "this OAuth client permission to run meters in Mediation on this tenant."
)
FRESH_TOKEN_SECONDS = 10.0  # a token younger than this that gets a 401 is not an expired one
TOKEN_PACE_SECONDS = 2.0  # at least this long between two token requests
USER_AGENT = "zmed-gui/0.1"


def moved_message(resp: httpx.Response) -> str:
    """The sentence for a 3xx answer, which is never followed (the token would go along)."""
    location = resp.headers.get("Location", "").strip()
    if location:
        try:
            location = str(resp.url.join(location))
        except httpx.InvalidURL:
            pass
        where = f"the address moved to {location[:300]}"
    else:
        where = "the address moved (it did not say where)"
    return (
        f"{str(resp.url).partition('?')[0]} answered HTTP {resp.status_code}: {where}; update "
        "the connection (redirects are not followed, so nothing was sent there)."
    )


class AddressMoved(ConnectionProblem):
    """A 3xx answer: the address moved; the message says where (never followed)."""


def transport_reason(exc: httpx.RequestError) -> str:
    """What went wrong on the network, in plain words (never a Python class name)."""
    text = f"{exc} {exc.__context__ or ''}".lower()
    if isinstance(exc, httpx.DecodingError):
        return "the answer could not be read (its compressed data is broken)"
    if isinstance(exc, httpx.TooManyRedirects):
        return "the address sent the request on too often"
    if isinstance(exc, httpx.UnsupportedProtocol):
        return "the address does not start with https://"
    if isinstance(exc, httpx.ConnectTimeout):
        return "the connection timed out"
    if isinstance(exc, httpx.TimeoutException):
        return "no answer came in time"
    if isinstance(exc, httpx.ProxyError):
        return "the proxy refused the connection"
    if isinstance(exc, httpx.ConnectError):
        if "refused" in text:
            return "the connection was refused (nothing answers at that address and port)"
        if any(w in text for w in ("name or service", "nodename", "getaddrinfo", "resolution")):
            return "the name could not be found (check the address and the network)"
        if "unreachable" in text:
            return "the network is unreachable"
        return "no connection could be made"
    if isinstance(exc, httpx.RemoteProtocolError):
        return "the server closed the connection without an answer"
    if isinstance(exc, httpx.LocalProtocolError):
        return "the request could not be written (a header or address is not valid)"
    if isinstance(exc, httpx.NetworkError):
        return "the connection broke off"
    return "the network request failed"


def file_reason(exc: BaseException) -> str:
    """Why a file cannot be used, in plain words (never a Python class name)."""
    if isinstance(exc, FileNotFoundError):
        return "the file is not there"
    if isinstance(exc, PermissionError):
        return "you may not read it"
    if isinstance(exc, IsADirectoryError):
        return "it is a folder, not a file"
    if isinstance(exc, ssl.SSLError):
        return "it holds no PEM certificates"
    return "it cannot be read"


class NotSent(Exception):
    """The request failed before its body was completely sent: retrying cannot double-send."""


class TokenClient:
    """One shared HTTP/1.1 client with a cached OAuth token (see :class:`ZuoraClient`)."""

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
        self._token_fetched = 0.0  # time.monotonic() of the current token's fetch
        self._last_fetch = -TOKEN_PACE_SECONDS
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
                    f"({file_reason(exc)}); choose another file."
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
            # This computer is never reached through a proxy, neither the connection's nor
            # one from the environment: plain http to a proxy would carry the secret and
            # the token off the machine in clear text.
            proxy=None if loopback else (proxy or None),
            trust_env=not loopback and not proxy,
            http1=True,
            http2=False,
            # A request body that cannot be written for 60 s is not going anywhere.
            timeout=httpx.Timeout(
                timeout, connect=min(timeout, 20.0), write=min(timeout, 60.0), pool=None
            ),
            limits=httpx.Limits(
                max_connections=max_connections, max_keepalive_connections=max_connections
            ),
            headers={"User-Agent": USER_AGENT},
            # Never: the Authorization header (or the secret in the body) would go along.
            follow_redirects=False,
        )

    @classmethod
    def for_connection(
        cls, conn: Connection, secret: str, *, timeout: float = 130.0, max_connections: int = 40
    ) -> Self:
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

    @property
    def http(self) -> httpx.Client:
        """The shared HTTP client (for the other Meters calls: audit trail, export)."""
        return self._http

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Self:
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
        return self.token_and_age()[0]

    def token_and_age(self) -> tuple[str, float]:
        """A valid bearer token and how many seconds ago it was fetched."""
        with self._token_lock:
            if self._token is None or time.monotonic() >= self._token_expires:
                self._token = None
                # Paced, not capped: a tenant whose tokens die early still gets new ones,
                # but never a burst of token requests (the endpoint is rate limited per IP).
                wait = self._last_fetch + TOKEN_PACE_SECONDS - time.monotonic()
                if wait > 0:
                    time.sleep(wait)
                self._last_fetch = time.monotonic()
                self._fetch_token()
                self._token_fetched = time.monotonic()
            assert self._token is not None
            return self._token, time.monotonic() - self._token_fetched

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
            except httpx.RequestError as exc:
                self._raise_if_untrusted(exc)
                log.info("token request to %s failed: %s", self._host(), type(exc).__name__)
                raise NotSent(f"could not reach {self._host()}: {transport_reason(exc)}") from None
            if resp.status_code == 429 and attempt < 3:
                wait = parse_retry_after(resp.headers.get("Retry-After"))
                time.sleep(min(wait if wait is not None else 2.0**attempt, 30.0))
                continue
            break
        self.token_fetches += 1
        if 300 <= resp.status_code < 400:
            log.warning("token request to %s answered HTTP %s", self._host(), resp.status_code)
            raise AddressMoved(moved_message(resp))
        if resp.status_code in (400, 401, 403):
            log.warning("token refused by %s: HTTP %s", self._host(), resp.status_code)
            raise ConnectionProblem(REFUSED)
        if resp.status_code == 429 or resp.status_code >= 500:
            raise NotSent(f"the token endpoint at {self._host()} answered HTTP {resp.status_code}")
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
