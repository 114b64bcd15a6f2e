"""Saved Zuora connections, tenant limits and upload targets (meter + URL).

A :class:`Connection` is saved as JSON in ``connections.json`` under the user config dir
(platformdirs, app name ``zmed-gui``) **without** its client secret. The secret lives in the
OS keyring (see :mod:`~zmed_gui.core.connections._credentials`), stored under the
connection's *name*.

A :class:`Target` is where events go: a base URL, a meter global id and a path style
(``streaming`` -> ``/meters/streaming/ingestion/{id}``, ``bulk`` -> ``/usage/bulk/{id}``).
:func:`parse_upload_url` takes the "Unique Upload URL" a meter shows in Zuora, pasted as is.

This module is the public face; the work is done in :mod:`~zmed_gui.core.connections._targets`
(environments, limits, targets, URL parsing), :mod:`~zmed_gui.core.connections._store` (the
saved connections) and :mod:`~zmed_gui.core.zuora._check` (:func:`test_connection`).
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
    save_connection,
)
from zmed_gui.core.connections._targets import (
    CUSTOM,
    ENVIRONMENTS,
    LIMIT_PRESETS,
    PATH_STYLES,
    Environment,
    PathStyle,
    Target,
    TenantLimits,
    check_base_url,
    check_meter_id,
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
    "ENVIRONMENTS",
    "ENV_SECRET",
    "LIMIT_PRESETS",
    "NO_KEYRING",
    "PATH_STYLES",
    "SERVICE",
    "Connection",
    "Environment",
    "PathStyle",
    "Target",
    "TenantLimits",
    "annotations",
    "check_base_url",
    "check_meter_id",
    "connections_file",
    "delete_connection",
    "delete_secret",
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
    "resolve_secret",
    "save_connection",
    "set_secret",
    "tenant_key",
]
