"""The client secret lives only in the OS keyring (or ZMED_CLIENT_SECRET / a prompt)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import keyring
import keyring.backends.fail
import keyring.backends.null
import keyring.errors
import pytest

from tests.conftest import MemoryKeyring
from zmed_gui.core.connections import (
    ENV_SECRET,
    NO_KEYRING,
    SERVICE,
    delete_secret,
    get_secret,
    keyring_available,
    resolve_secret,
    set_secret,
)
from zmed_gui.core.errors import CredentialsError


class LockedKeyring(MemoryKeyring):
    def get_password(self, service: str, username: str) -> str | None:
        raise keyring.errors.KeyringLocked("locked")

    def set_password(self, service: str, username: str, password: str) -> None:
        raise keyring.errors.PasswordSetError("user said no")


UseBackend = Callable[[keyring.backend.KeyringBackend], None]


@pytest.fixture
def use_backend() -> Iterator[UseBackend]:
    previous = keyring.get_keyring()

    def use(backend: keyring.backend.KeyringBackend) -> None:
        keyring.set_keyring(backend)

    yield use
    keyring.set_keyring(previous)


def test_roundtrip_under_service_and_connection_name(memory_keyring: MemoryKeyring) -> None:
    assert keyring_available()
    assert get_secret("Prod") is None
    set_secret("Prod", "abc-123")
    assert memory_keyring.store == {(SERVICE, "Prod"): "abc-123"}
    assert get_secret("Prod") == "abc-123"
    set_secret("Prod", "new")
    assert get_secret("Prod") == "new"
    delete_secret("Prod")
    delete_secret("Prod")  # twice is fine
    assert get_secret("Prod") is None
    with pytest.raises(CredentialsError, match="empty"):
        set_secret("Prod", "")


@pytest.mark.usefixtures("no_keyring")
def test_no_keyring_is_one_actionable_sentence() -> None:
    assert keyring_available()  # a backend is set; it only fails when used
    with pytest.raises(CredentialsError) as info:
        get_secret("P")
    assert str(info.value) == NO_KEYRING
    with pytest.raises(CredentialsError) as info:
        set_secret("P", "x")
    assert str(info.value) == NO_KEYRING
    assert NO_KEYRING.startswith(
        "No password store is available on this computer, so the client secret cannot be "
        "kept safely. Ask your IT contact"
    )
    # the app's words: no environment variable, no command line (the walk)
    assert "ZMED_CLIENT_SECRET" not in NO_KEYRING and "command line" not in NO_KEYRING


@pytest.mark.parametrize("backend", [keyring.backends.fail.Keyring, keyring.backends.null.Keyring])
def test_fail_and_null_backends_are_no_keyring(
    use_backend: UseBackend, backend: type[keyring.backend.KeyringBackend]
) -> None:
    use_backend(backend())
    assert not keyring_available()
    with pytest.raises(CredentialsError) as info:
        set_secret("P", "x")
    assert str(info.value) == NO_KEYRING
    delete_secret("P")


def test_locked_keyring_says_unlock(use_backend: UseBackend) -> None:
    use_backend(LockedKeyring())
    with pytest.raises(CredentialsError, match=r"refused to read .* unlock the keyring"):
        get_secret("P")
    with pytest.raises(CredentialsError, match="refused to store") as info:
        set_secret("P", "topsecret")
    assert "topsecret" not in str(info.value)


def test_resolve_secret_order(monkeypatch: pytest.MonkeyPatch) -> None:
    set_secret("Prod", "from-keyring")
    monkeypatch.setenv(ENV_SECRET, "from-env")
    assert resolve_secret("Prod") == "from-keyring"
    assert resolve_secret("Other") == "from-env"
    assert resolve_secret(None) == "from-env"
    monkeypatch.delenv(ENV_SECRET)
    asked: list[str] = []

    def prompt(text: str) -> str:
        asked.append(text)
        return "typed"

    assert resolve_secret("Other", prompt=prompt) == "typed"
    assert asked and "not shown" in asked[0]
    with pytest.raises(CredentialsError, match="No client secret is stored for connection 'Other'"):
        resolve_secret("Other")
    with pytest.raises(CredentialsError, match="set ZMED_CLIENT_SECRET"):
        resolve_secret(None)


@pytest.mark.usefixtures("no_keyring")
def test_resolve_secret_without_keyring(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(CredentialsError) as info:
        resolve_secret("Prod")
    assert str(info.value) == f"{NO_KEYRING} Or, for the command line, set {ENV_SECRET}."
    monkeypatch.setenv(ENV_SECRET, "from-env")
    assert resolve_secret("Prod") == "from-env"
