"""Talking to Zuora: OAuth client credentials and posting event batches (httpx)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from zmed_gui.core.connections import Connection, ConnectionTestResult, Target


class ZuoraClient:
    """One shared HTTP/1.1 client for all worker threads, with a cached OAuth token."""

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
        raise NotImplementedError

    @classmethod
    def for_connection(cls, conn: Connection, secret: str, **kwargs: object) -> ZuoraClient:
        """A client for a saved connection (its base URL, ids, CA bundle and proxy)."""
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError


def probe_connection(
    conn: Connection,
    secret: str,
    *,
    meter_id: str | None = None,
    target: Target | None = None,
    timeout: float = 15.0,
) -> ConnectionTestResult:
    raise NotImplementedError
