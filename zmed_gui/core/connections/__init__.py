"""Saved Zuora connections, tenant limits and upload targets (meter + URL).

A :class:`Connection` is saved as JSON in ``connections.json`` under the user config dir
(platformdirs, app name ``zmed-gui``) **without** its client secret. The secret lives in the
OS keyring (see :mod:`~zmed_gui.core.connections._credentials`), stored under the
connection's *name*.

A :class:`Target` is where events go: a base URL, a meter global id and a path style
(``bulk`` -> ``/usage/bulk/{id}``, the default; ``streaming`` ->
``/meters/streaming/ingestion/{id}``, the path as first published).
:func:`parse_upload_url` takes the "Unique Upload URL" a meter shows in Zuora, pasted as is;
:func:`check_same_tenant` refuses one on another host than the connection's, before any
token is sent. Plain http is allowed only to a literal loopback address (127.0.0.1, ::1).
A connection's limits follow its environment unless customised
(:attr:`Connection.effective_limits`).

This module is the public face; the work is done in :mod:`~zmed_gui.core.connections._targets`
(environments, limits, targets, URL parsing), :mod:`~zmed_gui.core.connections._store` (the
saved connections) and :mod:`~zmed_gui.core.zuora._probe` (:func:`test_connection`).
"""

from __future__ import (
    annotations,
)

from zmed_gui.core.connections._credentials import (
    ENV_SECRET,
    NO_KEYRING,
    SERVICE,
    delete_secret,
    get_secret,
    keyring_available,
    resolve_secret,
    set_secret,
)
from zmed_gui.core.connections._store import (
    Connection,
    connections_file,
    delete_connection,
    get_connection,
    load_connections,
    remember_batch_size,
    remember_path_style,
    save_connection,
)
from zmed_gui.core.connections._targets import (
    CUSTOM,
    DEFAULT_ENVIRONMENT,
    DEFAULT_PATH_STYLE,
    ENVIRONMENTS,
    LIMIT_PRESETS,
    PATH_STYLE_LABELS,
    PATH_STYLES,
    Environment,
    PathStyle,
    Target,
    TenantLimits,
    check_base_url,
    check_meter_id,
    check_same_tenant,
    environment_limits,
    is_loopback_host,
    limits_preset,
    make_target,
    meter_key,
    meter_url,
    parse_upload_url,
    tenant_key,
)

__all__ = [
    "CUSTOM",
    "DEFAULT_ENVIRONMENT",
    "DEFAULT_PATH_STYLE",
    "ENVIRONMENTS",
    "ENV_SECRET",
    "LIMIT_PRESETS",
    "NO_KEYRING",
    "PATH_STYLES",
    "PATH_STYLE_LABELS",
    "SERVICE",
    "Connection",
    "Environment",
    "PathStyle",
    "Target",
    "TenantLimits",
    "annotations",
    "check_base_url",
    "check_meter_id",
    "check_same_tenant",
    "connections_file",
    "delete_connection",
    "delete_secret",
    "environment_limits",
    "get_connection",
    "get_secret",
    "is_loopback_host",
    "keyring_available",
    "limits_preset",
    "load_connections",
    "make_target",
    "meter_key",
    "meter_url",
    "parse_upload_url",
    "remember_batch_size",
    "remember_path_style",
    "resolve_secret",
    "save_connection",
    "set_secret",
    "tenant_key",
]
