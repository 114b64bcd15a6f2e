"""The client secret, kept only in the OS keyring.

Service ``zmed-gui``, username = the connection's *name* (not the client ID): deleting or
renaming one connection never touches another that happens to share a client ID, and the
keyring's own UI shows which connection an entry belongs to.

For the command line the secret may also come from the ``ZMED_CLIENT_SECRET`` environment
variable or a hidden prompt, never from argv.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from typing import TYPE_CHECKING

from zmed_gui.core.errors import CredentialsError

if TYPE_CHECKING:
    import keyring.backend

SERVICE = "zmed-gui"
ENV_SECRET = "ZMED_CLIENT_SECRET"

log = logging.getLogger(__name__)

NO_KEYRING = (
    "No password store is available on this computer, so the client secret cannot be kept "
    "safely. Ask your IT contact to turn one on (Windows Credential Manager, macOS Keychain, "
    "or GNOME Keyring/KWallet on Linux)."
)


def _unusable_backend(backend: keyring.backend.KeyringBackend) -> bool:
    """keyring's fail and null backends look like keyrings but keep nothing."""
    mod = type(backend).__module__
    return mod.startswith(("keyring.backends.fail", "keyring.backends.null"))


def _backend() -> keyring.backend.KeyringBackend:
    import keyring  # loaded when a secret is first looked for (50 ms of a command's start)

    backend = keyring.get_keyring()
    if _unusable_backend(backend):
        raise CredentialsError(NO_KEYRING)
    return backend


def keyring_available() -> bool:
    """True when a keyring that really stores secrets is there (without touching it)."""
    try:
        _backend()
    except CredentialsError:
        return False
    return True


def _fail(action: str, name: str, exc: Exception) -> CredentialsError:
    # The exception text of a backend never contains the secret, but keep it out anyway.
    import keyring.errors

    log.warning("keyring %s for connection %r failed: %s", action, name, type(exc).__name__)
    if isinstance(exc, keyring.errors.NoKeyringError):
        return CredentialsError(NO_KEYRING)
    return CredentialsError(
        f"The system keyring refused to {action} the client secret of '{name}'; unlock the "
        "keyring (or allow zmed-gui in its prompt) and try again."
    )


def get_secret(name: str) -> str | None:
    """The stored secret of connection ``name``, or None when none is stored."""
    import keyring.errors

    backend = _backend()
    try:
        return backend.get_password(SERVICE, name)
    except keyring.errors.KeyringError as exc:
        raise _fail("read", name, exc) from None


def set_secret(name: str, secret: str) -> None:
    """Store the secret of connection ``name`` (replacing an old one)."""
    import keyring.errors

    if not secret:
        raise CredentialsError(f"The client secret of '{name}' is empty; paste the secret.")
    backend = _backend()
    try:
        backend.set_password(SERVICE, name, secret)
    except keyring.errors.KeyringError as exc:
        raise _fail("store", name, exc) from None


def delete_secret(name: str) -> None:
    """Forget the secret of connection ``name``; nothing stored is fine."""
    import keyring.errors

    try:
        backend = _backend()
    except CredentialsError:
        return  # nothing can be stored there, so nothing to delete
    try:
        backend.delete_password(SERVICE, name)
    except (keyring.errors.PasswordDeleteError, keyring.errors.NoKeyringError):
        pass  # nothing stored, or nowhere it could have been stored
    except keyring.errors.KeyringError as exc:
        raise _fail("delete", name, exc) from None


def resolve_secret(
    connection_name: str | None,
    *,
    prompt: Callable[[str], str] | None = None,
) -> str:
    """The secret for an upload: keyring (connection), then ZMED_CLIENT_SECRET, then ``prompt``.

    ``prompt`` is e.g. ``getpass.getpass`` when stdin is a terminal. A missing keyring is not
    an error when the environment variable or the prompt gives the secret.
    """
    keyring_problem: CredentialsError | None = None
    if connection_name:
        try:
            secret = get_secret(connection_name)
        except CredentialsError as exc:
            keyring_problem = exc
        else:
            if secret:
                return secret
    env = os.environ.get(ENV_SECRET, "")
    if env:
        return env
    if prompt is not None:
        entered = prompt("Client secret (not shown): ").strip()
        if entered:
            return entered
    if keyring_problem is not None:
        # the command line's own way round it, said only here (the app has no environment)
        raise CredentialsError(
            f"{keyring_problem} Or, for the command line, set {ENV_SECRET}."
        ) from keyring_problem
    if connection_name:
        raise CredentialsError(
            f"No client secret is stored for connection '{connection_name}'; enter it in "
            f"Connections or set {ENV_SECRET}."
        )
    raise CredentialsError(
        f"No client secret was given; set {ENV_SECRET} or run in a terminal to be asked for it."
    )
