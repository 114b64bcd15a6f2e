"""Testing a connection: sign in, then probe the meter's upload URL."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from zmed_gui.core.connection_store import Connection
    from zmed_gui.core.connection_targets import PathStyle, Target


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
