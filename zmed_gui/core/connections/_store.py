"""The saved connections store: ``connections.json`` in the user config dir.

A :class:`Connection` is saved as JSON in ``connections.json`` under the user config dir
(platformdirs, app name ``zmed-gui``) **without** its client secret. The secret lives in the
OS keyring (see :mod:`~zmed_gui.core.connections._credentials`), stored under the
connection's *name*.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from zmed_gui.core.connections._targets import (
    CUSTOM,
    DEFAULT_ENVIRONMENT,
    DEFAULT_PATH_STYLE,
    ENVIRONMENTS,
    PATH_STYLES,
    PathStyle,
    Target,
    TenantLimits,
    check_base_url,
    check_same_tenant,
    environment_limits,
    make_target,
    parse_upload_url,
)
from zmed_gui.core.errors import OptionsError
from zmed_gui.core.jsonfile import write_json_atomic
from zmed_gui.core.paths import user_config_dir


@dataclass
class Connection:
    """A saved Zuora tenant login (never holds the secret).

    ``environment`` is a key of :data:`ENVIRONMENTS` or ``"custom"`` (then ``custom_base_url``
    is used); a new connection starts on a sandbox. ``entity_ids`` is one entity id,
    ``org_ids`` comma separated ids; empty = not sent. ``meter_id``/``path_style``/
    ``upload_url`` are the defaults for uploads; ``upload_url`` (a pasted Unique Upload URL,
    on this connection's host only) wins over ``meter_id`` when set.

    Limits follow the environment: unless ``limits_custom`` is set, a known environment's
    connection always has that environment's preset (:attr:`effective_limits`; set on
    construction, so a file saved with other limits is corrected when read). A custom base
    URL keeps the limits it was given. ``path_style_confirmed`` says that a connection test
    found ``path_style`` answering.
    """

    name: str
    environment: str = DEFAULT_ENVIRONMENT
    client_id: str = ""
    custom_base_url: str = ""
    entity_ids: str = ""
    org_ids: str = ""
    limits: TenantLimits = field(default_factory=TenantLimits)
    meter_id: str = ""
    path_style: PathStyle = DEFAULT_PATH_STYLE
    upload_url: str = ""
    ca_bundle: str = ""  # optional PEM file with extra CA certificates
    proxy: str = ""  # optional proxy URL (never used for 127.0.0.1); empty = HTTPS_PROXY
    limits_custom: bool = False  # the user chose limits other than the environment's preset
    path_style_confirmed: bool = False  # a connection test found path_style answering
    # The meter's numeric ID (its page in Zuora Mediation shows it): the audit trail's key,
    # for reconciliation. Not the 32-hex global ID of the Upload URL.
    meter_number: str = ""

    def __post_init__(self) -> None:
        self.limits = self.effective_limits

    @property
    def effective_limits(self) -> TenantLimits:
        """The limits to plan uploads with: the environment's preset unless customised.

        A copy: changing it changes nothing saved. ``custom`` (or an unknown environment)
        and ``limits_custom`` give ``limits`` as set.
        """
        preset = None if self.limits_custom else environment_limits(self.environment)
        lim = preset or self.limits
        return TenantLimits(lim.max_payload_bytes, lim.max_events, lim.calls_per_minute)

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
            target = parse_upload_url(self.upload_url)
            check_same_tenant(self.base_url, target)
            return target
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
            raise OptionsError(f"'{self.path_style}' is not a path style; use bulk or streaming.")
        self.default_target()
        if self.meter_number.strip() and not self.meter_number.strip().isdigit():
            raise OptionsError(
                f"The meter number '{self.meter_number}' is not a number; copy the meter's "
                "numeric ID from its page in Zuora Mediation (not the ID of its Upload URL)."
            )
        if self.ca_bundle and not Path(self.ca_bundle).is_file():
            raise OptionsError(f"The CA bundle file '{self.ca_bundle}' does not exist.")

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Connection:
        """A saved connection; files from before ``limits_custom`` and
        ``path_style_confirmed`` existed get the environment's limits and the default path
        style (what they hold there was the old default, never a choice or a finding)."""
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        lim = known.pop("limits", None)
        if isinstance(lim, dict):
            known["limits"] = TenantLimits(
                **{k: int(v) for k, v in lim.items() if k in TenantLimits.__dataclass_fields__}
            )
        if "path_style_confirmed" not in data:
            known["path_style"] = DEFAULT_PATH_STYLE
        return cls(**known)


def connections_file() -> Path:
    """``connections.json`` in the user config dir (created on first save)."""
    return user_config_dir() / "connections.json"


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
    data = {"version": 1, "connections": [c.to_json() for c in conns]}
    write_json_atomic(connections_file(), data)


def save_connection(conn: Connection, secret: str | None = None) -> None:
    """Save (add or replace, by name) a connection; store ``secret`` in the keyring if given.

    The secret is stored first, so a keyring failure saves nothing.
    """
    conn.validate()
    if secret is not None:
        from zmed_gui.core.connections._credentials import set_secret

        set_secret(conn.name, secret)
    others = [c for c in load_connections() if c.name.casefold() != conn.name.casefold()]
    _write_all([*others, conn])


def _update_saved(name: str, change: Callable[[Connection], bool]) -> Connection | None:
    """Apply ``change`` to the saved connection ``name`` and save, if it says it changed."""
    conns = load_connections()
    conn = next((c for c in conns if c.name.casefold() == name.strip().casefold()), None)
    if conn is None or not change(conn):
        return None
    _write_all(conns)
    return conn


def remember_batch_size(name: str, max_events: int) -> Connection | None:
    """A 413 showed the tenant takes at most ``max_events`` a call: keep it for the saved
    connection ``name`` (its limits become the user's own). None when there is no such
    connection or it already takes no more than that."""

    def lower(conn: Connection) -> bool:
        if max_events < 1 or conn.limits.max_events <= max_events:
            return False
        conn.limits = replace(conn.limits, max_events=max_events)
        conn.limits_custom = True
        return True

    return _update_saved(name, lower)


def remember_path_style(name: str, style: PathStyle) -> Connection | None:
    """An upload found the meter answering at ``style``: keep it for the saved connection
    ``name`` (as a connection test would). None when there is no such connection."""

    def keep(conn: Connection) -> bool:
        if style not in PATH_STYLES:
            return False
        conn.path_style, conn.path_style_confirmed = style, True
        return True

    return _update_saved(name, keep)


def delete_connection(name: str) -> None:
    """Remove a saved connection and its secret in the keyring (if any)."""
    from zmed_gui.core.connections._credentials import delete_secret

    conns = load_connections()
    kept = [c for c in conns if c.name.casefold() != name.strip().casefold()]
    removed = [c for c in conns if c not in kept]
    _write_all(kept)
    for c in removed:
        delete_secret(c.name)
