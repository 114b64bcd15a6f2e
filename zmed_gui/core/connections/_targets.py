"""Zuora environments, tenant limits and upload targets (meter + URL).

A :class:`Target` is where events go: a base URL, a meter global id and a path style
(``bulk`` -> ``/usage/bulk/{id}``, Zuora's corrected path and the default;
``streaming`` -> ``/meters/streaming/ingestion/{id}``, the path as first published).
:func:`parse_upload_url` takes the "Unique Upload URL" a meter shows in Zuora, pasted as is;
:func:`check_same_tenant` refuses one that points to another host than the connection's.

Plain http is allowed only to a literal loopback address (127.0.0.0/8, ::1): a *name* such
as ``localhost`` is whatever the resolver says it is, so it gets https like any other name.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

from zmed_gui.core.errors import OptionsError

PathStyle = Literal["bulk", "streaming"]
PATH_STYLES: tuple[PathStyle, ...] = ("bulk", "streaming")
DEFAULT_PATH_STYLE: PathStyle = "bulk"  # Zuora's v1 changelog of 2025-04-22 corrected to it


@dataclass(frozen=True)
class Environment:
    """One Zuora data centre/environment, by a stable key."""

    key: str
    label: str
    base_url: str
    limits_preset: str  # key into LIMIT_PRESETS: the usual tenant type there


ENVIRONMENTS: dict[str, Environment] = {
    e.key: e
    for e in (
        Environment(
            "us-developer-sandbox",
            "US Developer & Central Sandbox",
            "https://rest.test.zuora.com",
            "developer-sandbox",
        ),
        Environment(
            "us-api-sandbox-cloud1",
            "US API Sandbox (Cloud 1)",
            "https://rest.sandbox.na.zuora.com",
            "api-sandbox",
        ),
        Environment(
            "us-api-sandbox-cloud2",
            "US API Sandbox (Cloud 2)",
            "https://rest.apisandbox.zuora.com",
            "api-sandbox",
        ),
        Environment(
            "us-production-cloud1",
            "US Production (Cloud 1)",
            "https://rest.na.zuora.com",
            "production",
        ),
        Environment(
            "us-production-cloud2",
            "US Production (Cloud 2)",
            "https://rest.zuora.com",
            "production",
        ),
        Environment(
            "eu-developer-sandbox",
            "EU Developer & Central Sandbox",
            "https://rest.test.eu.zuora.com",
            "developer-sandbox",
        ),
        Environment(
            "eu-api-sandbox", "EU API Sandbox", "https://rest.sandbox.eu.zuora.com", "api-sandbox"
        ),
        Environment("eu-production", "EU Production", "https://rest.eu.zuora.com", "production"),
        Environment(
            "apac-developer-sandbox",
            "APAC Developer & Central Sandbox",
            "https://rest.test.ap.zuora.com",
            "developer-sandbox",
        ),
        Environment(
            "apac-production", "APAC Production", "https://rest.ap.zuora.com", "production"
        ),
    )
}
CUSTOM = "custom"
# Where a new connection starts: a sandbox, never production (a first test upload there
# would bill real customers).
DEFAULT_ENVIRONMENT = "us-developer-sandbox"


@dataclass
class TenantLimits:
    """Zuora's published per-call guidance; sizes are measured on the uncompressed JSON."""

    max_payload_bytes: int = 4_000_000
    max_events: int = 10_000
    calls_per_minute: int = 50_000


LIMIT_PRESETS: dict[str, tuple[str, TenantLimits]] = {
    "api-sandbox": ("API Sandbox", TenantLimits(1_000_000, 1_000, 600)),
    "developer-sandbox": ("Developer Sandbox", TenantLimits(2_000_000, 5_000, 5_000)),
    "production": ("Central Sandbox and Production", TenantLimits(4_000_000, 10_000, 50_000)),
}


def limits_preset(key: str) -> TenantLimits:
    """A fresh copy of a preset's limits: ``api-sandbox``, ``developer-sandbox``, ``production``."""
    try:
        lim = LIMIT_PRESETS[key][1]
    except KeyError:
        raise OptionsError(
            f"'{key}' is not a tenant type; use one of {', '.join(LIMIT_PRESETS)}."
        ) from None
    return TenantLimits(lim.max_payload_bytes, lim.max_events, lim.calls_per_minute)


def environment_limits(environment: str) -> TenantLimits | None:
    """A fresh copy of an environment's preset limits; None for ``custom`` or an unknown key."""
    env = ENVIRONMENTS.get(environment)
    return limits_preset(env.limits_preset) if env is not None else None


# --------------------------------------------------------------------------- URLs


def is_loopback_host(host: str) -> bool:
    """True only for a literal loopback address (127.0.0.0/8, ::1), never for a name.

    ``localhost`` and ``*.localhost`` are names: a hosts file, a DNS search domain or a
    container's resolver can point them anywhere, so they are not trusted as this computer.
    """
    h = host.strip("[]").lower()
    try:
        return ipaddress.ip_address(h).is_loopback
    except ValueError:
        return False


def _is_localhost_name(host: str) -> bool:
    h = host.strip("[]").lower().rstrip(".")
    return h == "localhost" or h.endswith(".localhost")


def check_base_url(url: str, what: str = "The base URL") -> str:
    """Validate and normalise a base URL (https, or http only to this computer).

    Returns the URL without a trailing slash, query or fragment.
    """
    raw = url.strip()
    parts = urlsplit(raw)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise OptionsError(
            f"{what} '{raw}' is not a web address; give one like https://rest.zuora.com."
        )
    if parts.scheme == "http" and _is_localhost_name(parts.hostname):
        port = f":{parts.port}" if parts.port else ""
        raise OptionsError(
            f"{what} '{raw}' uses plain http to the name '{parts.hostname}', which need not be "
            f"this computer; use the address instead: http://127.0.0.1{port}"
            f"{parts.path.rstrip('/')} (plain http is allowed only to 127.0.0.1 or ::1)."
        )
    if parts.scheme == "http" and not is_loopback_host(parts.hostname):
        raise OptionsError(
            f"{what} '{raw}' uses plain http; use https (plain http is allowed only to "
            "this computer, e.g. the emulator)."
        )
    if parts.query or parts.fragment:
        raise OptionsError(f"{what} '{raw}' must not have a '?' or '#' part.")
    if parts.username is not None or parts.password is not None:
        raise OptionsError(
            f"{what} must not contain a user name or password before the host; remove the "
            "part before '@' (the client ID and secret go in their own fields)."
        )
    return f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}"


_METER_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$")


def check_meter_id(meter_id: str) -> str:
    """A meter global id (32 hex in Zuora's samples; letters, digits, - and _ accepted)."""
    m = meter_id.strip()
    if not _METER_RE.match(m):
        raise OptionsError(
            f"'{meter_id}' is not a meter ID; copy the meter's global ID (32 letters and "
            "digits) from the meter in Zuora Mediation."
        )
    return m


@dataclass(frozen=True)
class Target:
    """Where events are posted: ``{base_url}/usage/bulk/{meter_id}`` (the default) or
    ``{base_url}/meters/streaming/ingestion/{meter_id}``."""

    base_url: str
    meter_id: str
    style: PathStyle = DEFAULT_PATH_STYLE

    @property
    def url(self) -> str:
        return meter_url(self.base_url, self.meter_id, self.style)

    @property
    def meter_key(self) -> str:
        """Identifies the meter however it was spelled (for the duplicate guard)."""
        return meter_key(self.base_url, self.meter_id)

    def with_style(self, style: PathStyle) -> Target:
        return Target(self.base_url, self.meter_id, style)


_DEFAULT_PORTS = {"https": 443, "http": 80}


def tenant_key(base_url: str) -> str:
    """The tenant's part of a meter key: ``https://rest.zuora.com`` however it was typed.

    Scheme and host are case-folded, the default port and trailing slashes dropped, a base
    path kept. Never raises: the journal re-keys old rows with whatever they hold.
    """
    raw = base_url.strip()
    parts = urlsplit(raw)
    try:
        port = parts.port
    except ValueError:
        port = -1
    if not parts.scheme or not parts.hostname or port == -1:
        return raw.rstrip("/").casefold()
    scheme = parts.scheme.casefold()
    host = parts.hostname  # already lower case, without brackets or user info
    if ":" in host:
        host = f"[{host}]"
    if port is not None and port != _DEFAULT_PORTS.get(scheme):
        host = f"{host}:{port}"
    return f"{scheme}://{host}{parts.path.rstrip('/')}"


def meter_key(base_url: str, meter_id: str) -> str:
    """One key per meter: ``tenant_key(base_url) + "|" +`` the meter ID case-folded.

    Zuora's meter IDs are hex, so case does not tell two meters apart.
    """
    return f"{tenant_key(base_url)}|{meter_id.strip().casefold()}"


def meter_url(base_url: str, meter_id: str, style: PathStyle = DEFAULT_PATH_STYLE) -> str:
    """The upload URL for a meter in one path style."""
    base = base_url.rstrip("/")
    if style == "bulk":
        return f"{base}/usage/bulk/{meter_id}"
    if style == "streaming":
        return f"{base}/meters/streaming/ingestion/{meter_id}"
    raise OptionsError(f"'{style}' is not a path style; use 'streaming' or 'bulk'.")


def make_target(base_url: str, meter_id: str, style: str = DEFAULT_PATH_STYLE) -> Target:
    """A checked :class:`Target` from its parts."""
    if style not in PATH_STYLES:
        raise OptionsError(f"'{style}' is not a path style; use 'streaming' or 'bulk'.")
    return Target(check_base_url(base_url), check_meter_id(meter_id), style)


PATH_STYLE_LABELS: dict[PathStyle, str] = {
    "bulk": "/usage/bulk/ (current)",
    "streaming": "/meters/streaming/ingestion/ (first published)",
}

_SUFFIXES: tuple[tuple[str, PathStyle], ...] = (
    ("/meters/streaming/ingestion/", "streaming"),
    ("/usage/bulk/", "bulk"),
)


def parse_upload_url(url: str) -> Target:
    """Split a meter's "Unique Upload URL", pasted as is, into base URL, meter id and style."""
    raw = url.strip()
    parts = urlsplit(raw)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise OptionsError(
            f"'{raw}' is not an upload URL; copy the meter's Unique Upload URL from Zuora "
            "(it starts with https://)."
        )
    path = parts.path.rstrip("/")
    for marker, style in _SUFFIXES:
        pos = path.rfind(marker)
        if pos >= 0:
            meter = path[pos + len(marker) :]
            if "/" in meter or not meter:
                break
            base = f"{parts.scheme}://{parts.netloc}{path[:pos]}"
            return Target(check_base_url(base, "The upload URL"), check_meter_id(meter), style)
    raise OptionsError(
        f"'{raw}' is not an upload URL; it should end in /meters/streaming/ingestion/<meter ID> "
        "or /usage/bulk/<meter ID>."
    )


# --------------------------------------------------------------------------- one tenant


def _origin(url: str) -> tuple[str, str, int | None]:
    """(scheme, host, port) case-folded, with the scheme's default port dropped."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").rstrip(".").casefold()
    try:
        port = parts.port
    except ValueError:  # a port that is not a number: compare it as given
        port = -1
    if (scheme, port) in (("https", 443), ("http", 80)):
        port = None
    return scheme, host, port


def _origin_text(url: str) -> str:
    scheme, host, port = _origin(url)
    shown = f"[{host}]" if ":" in host else host
    return f"{scheme}://{shown}" + (f":{port}" if port is not None and port >= 0 else "")


def check_same_tenant(connection_base_url: str, target: Target) -> None:
    """Refuse a target on another host than the connection's (nothing may be sent there).

    The token of a connection belongs to that connection's tenant: an upload URL pasted
    from another tenant (or from anywhere else) would receive it. Compared are the scheme,
    the host and the port, case-folded, with the default port dropped; the path is not.

    Raises:
        OptionsError: one sentence naming both hosts.
    """
    if _origin(connection_base_url) != _origin(target.base_url):
        raise OptionsError(
            f"The upload URL points to {_origin_text(target.url)}, but the connection is for "
            f"{_origin_text(connection_base_url)}; nothing was sent. Paste the Unique Upload URL "
            "of a meter in this connection's tenant, or choose the connection for that address."
        )
