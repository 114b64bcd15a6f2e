"""Saved Zuora connections, tenant limits and upload targets (meter + URL).

A :class:`Connection` is saved as JSON in ``connections.json`` under the user config dir
(platformdirs, app name ``zmed-gui``) **without** its client secret. The secret lives in the
OS keyring (see :mod:`zmed_gui.core.credentials`), stored under the connection's *name*.

A :class:`Target` is where events go: a base URL, a meter global id and a path style
(``streaming`` -> ``/meters/streaming/ingestion/{id}``, ``bulk`` -> ``/usage/bulk/{id}``).
:func:`parse_upload_url` takes the "Unique Upload URL" a meter shows in Zuora, pasted as is.
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

import platformdirs

from zmed_gui.core.errors import OptionsError

APP_NAME = "zmed-gui"

PathStyle = Literal["streaming", "bulk"]
PATH_STYLES: tuple[PathStyle, ...] = ("streaming", "bulk")


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


# --------------------------------------------------------------------------- URLs


def is_loopback_host(host: str) -> bool:
    """True for localhost and 127.0.0.0/8 / ::1 addresses."""
    h = host.strip("[]").lower()
    if h == "localhost" or h.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(h).is_loopback
    except ValueError:
        return False


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
    if parts.scheme == "http" and not is_loopback_host(parts.hostname):
        raise OptionsError(
            f"{what} '{raw}' uses plain http; use https (plain http is allowed only to "
            "this computer, e.g. the emulator)."
        )
    if parts.query or parts.fragment:
        raise OptionsError(f"{what} '{raw}' must not have a '?' or '#' part.")
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
    """Where events are posted: ``{base_url}/meters/streaming/ingestion/{meter_id}`` or
    ``{base_url}/usage/bulk/{meter_id}``."""

    base_url: str
    meter_id: str
    style: PathStyle = "streaming"

    @property
    def url(self) -> str:
        return meter_url(self.base_url, self.meter_id, self.style)

    @property
    def meter_key(self) -> str:
        """Identifies the meter regardless of path style (for the duplicate guard)."""
        return f"{self.base_url.rstrip('/').lower()}|{self.meter_id}"

    def with_style(self, style: PathStyle) -> Target:
        return Target(self.base_url, self.meter_id, style)


def meter_url(base_url: str, meter_id: str, style: PathStyle = "streaming") -> str:
    """The upload URL for a meter in one path style."""
    base = base_url.rstrip("/")
    if style == "bulk":
        return f"{base}/usage/bulk/{meter_id}"
    if style == "streaming":
        return f"{base}/meters/streaming/ingestion/{meter_id}"
    raise OptionsError(f"'{style}' is not a path style; use 'streaming' or 'bulk'.")


def make_target(base_url: str, meter_id: str, style: str = "streaming") -> Target:
    """A checked :class:`Target` from its parts."""
    if style not in PATH_STYLES:
        raise OptionsError(f"'{style}' is not a path style; use 'streaming' or 'bulk'.")
    return Target(check_base_url(base_url), check_meter_id(meter_id), style)


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


# --------------------------------------------------------------------------- connections


@dataclass
class Connection:
    """A saved Zuora tenant login (never holds the secret).

    ``environment`` is a key of :data:`ENVIRONMENTS` or ``"custom"`` (then ``custom_base_url``
    is used). ``entity_ids`` is one entity id, ``org_ids`` comma separated ids; empty = not sent.
    ``meter_id``/``path_style``/``upload_url`` are the defaults for uploads; ``upload_url``
    (a pasted Unique Upload URL) wins over ``meter_id`` when set.
    """

    name: str
    environment: str = "us-production-cloud2"
    client_id: str = ""
    custom_base_url: str = ""
    entity_ids: str = ""
    org_ids: str = ""
    limits: TenantLimits = field(default_factory=TenantLimits)
    meter_id: str = ""
    path_style: PathStyle = "streaming"
    upload_url: str = ""
    ca_bundle: str = ""  # optional PEM file with extra CA certificates
    proxy: str = ""  # optional proxy URL; empty = from the environment (HTTPS_PROXY)

    @property
    def base_url(self) -> str:
        """The checked base URL of this connection."""
        if self.environment == CUSTOM:
            if not self.custom_base_url.strip():
                raise OptionsError(
                    f"The connection '{self.name}' uses a custom environment but has no base "
                    "URL; enter one in Connections."
                )
            return check_base_url(self.custom_base_url)
        env = ENVIRONMENTS.get(self.environment)
        if env is None:
            raise OptionsError(
                f"The connection '{self.name}' names an unknown environment "
                f"'{self.environment}'; choose one in Connections."
            )
        return env.base_url

    def default_target(self) -> Target | None:
        """The saved default meter as a target, or None when none is saved."""
        if self.upload_url.strip():
            return parse_upload_url(self.upload_url)
        if self.meter_id.strip():
            return make_target(self.base_url, self.meter_id, self.path_style)
        return None

    def validate(self) -> None:
        """Raise :class:`OptionsError` with one sentence if the connection cannot be used."""
        if not self.name.strip():
            raise OptionsError("Give the connection a name.")
        if not self.client_id.strip():
            raise OptionsError(f"The connection '{self.name}' has no client ID; enter one.")
        _ = self.base_url
        lim = self.limits
        if lim.max_events < 1 or lim.max_payload_bytes < 1024 or lim.calls_per_minute < 1:
            raise OptionsError(
                f"The limits of connection '{self.name}' must be positive (at least 1 event, "
                "1 KB, 1 call per minute)."
            )
        if self.path_style not in PATH_STYLES:
            raise OptionsError(f"'{self.path_style}' is not a path style; use streaming or bulk.")
        self.default_target()
        if self.ca_bundle and not Path(self.ca_bundle).is_file():
            raise OptionsError(f"The CA bundle file '{self.ca_bundle}' does not exist.")

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Connection:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        lim = known.pop("limits", None)
        conn = cls(**known)
        if isinstance(lim, dict):
            conn.limits = TenantLimits(
                **{k: int(v) for k, v in lim.items() if k in TenantLimits.__dataclass_fields__}
            )
        return conn


def connections_file() -> Path:
    """``connections.json`` in the user config dir (created on first save)."""
    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)) / "connections.json"


def load_connections() -> list[Connection]:
    """All saved connections, sorted by name; an unreadable file raises OptionsError."""
    path = connections_file()
    if not path.exists():
        return []
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        items = data["connections"] if isinstance(data, dict) else data
        conns = [Connection.from_json(item) for item in items]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise OptionsError(
            f"The saved connections in '{path}' cannot be read ({type(exc).__name__}); "
            "fix or delete that file."
        ) from exc
    return sorted(conns, key=lambda c: c.name.casefold())


def get_connection(name: str) -> Connection:
    """The saved connection called ``name`` (case-insensitive), or OptionsError."""
    for conn in load_connections():
        if conn.name.casefold() == name.strip().casefold():
            return conn
    raise OptionsError(
        f"There is no saved connection called '{name}'; create it in the app's Connections "
        "dialog or pass --environment/--base-url and --client-id."
    )


def _write_all(conns: list[Connection]) -> None:
    path = connections_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(
        {"version": 1, "connections": [c.to_json() for c in conns]}, indent=2, ensure_ascii=False
    )
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".connections-", suffix=".json")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def save_connection(conn: Connection, secret: str | None = None) -> None:
    """Save (add or replace, by name) a connection; store ``secret`` in the keyring if given.

    The secret is stored first, so a keyring failure saves nothing.
    """
    conn.validate()
    if secret is not None:
        from zmed_gui.core.credentials import set_secret

        set_secret(conn.name, secret)
    others = [c for c in load_connections() if c.name.casefold() != conn.name.casefold()]
    _write_all([*others, conn])


def delete_connection(name: str) -> None:
    """Remove a saved connection and its secret in the keyring (if any)."""
    from zmed_gui.core.credentials import delete_secret

    conns = load_connections()
    kept = [c for c in conns if c.name.casefold() != name.strip().casefold()]
    removed = [c for c in conns if c not in kept]
    _write_all(kept)
    for c in removed:
        delete_secret(c.name)


# --------------------------------------------------------------------------- testing


@dataclass
class ConnectionTestResult:
    """What :func:`test_connection` found, as sentences for the user."""

    ok: bool
    token_ok: bool
    style: PathStyle | None  # the path style the tenant answers for the meter, if probed
    upload_url: str | None
    sentences: list[str] = field(default_factory=list)

    @property
    def message(self) -> str:
        return " ".join(self.sentences)


def test_connection(
    conn: Connection,
    secret: str,
    meter_id: str | None = None,
    *,
    target: Target | None = None,
    timeout: float = 15.0,
) -> ConnectionTestResult:
    """Fetch a token, then probe the meter (preferred style first, then the other one).

    The probe posts an empty JSON array, which carries no usage. Never raises for what it
    finds (wrong secret, unknown meter, no network): those come back as sentences.
    """
    from zmed_gui.core.zuora import probe_connection

    return probe_connection(conn, secret, meter_id=meter_id, target=target, timeout=timeout)


test_connection.__test__ = False  # type: ignore[attr-defined]  # not a pytest test
