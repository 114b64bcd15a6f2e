"""A real Secret Service (gnome-keyring under dbus-run-session; see architecture.md).

CI runs this with ``-m secret_service``; elsewhere it is deselected by default.
"""

from __future__ import annotations

import uuid

import keyring
import pytest

from zmed_gui.core.connections import (
    Connection,
    delete_connection,
    get_secret,
    keyring_available,
    load_connections,
    save_connection,
    set_secret,
)

pytestmark = pytest.mark.secret_service


def test_secret_service_roundtrip() -> None:
    backend = keyring.get_keyring()
    chain = getattr(backend, "backends", [backend])  # keyring may wrap it in a chainer
    assert any("SecretService" in type(b).__module__ for b in chain), chain
    assert keyring_available()
    name = f"zmed-test-{uuid.uuid4().hex[:8]}"
    set_secret(name, "s3cret-ß-value")
    try:
        assert get_secret(name) == "s3cret-ß-value"
        save_connection(Connection(name=name, environment="eu-production", client_id="cid"), "v2")
        assert get_secret(name) == "v2"
        assert [c.name for c in load_connections()] == [name]
    finally:
        delete_connection(name)
    assert get_secret(name) is None
