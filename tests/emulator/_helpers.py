"""Shared bits for the emulator tests (a module, not a conftest: conftest.py is shared)."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import httpx

from zmed_gui.emulator import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, Emulator

GOOD = {
    "CustomerId": "A-001",
    "UsageIdentifier": "api-calls",
    "UsageDate": "2026-11-26T09:30:00Z",
    "Quantity": 12.5,
}


def event(**changes: Any) -> dict[str, Any]:
    e = dict(GOOD)
    for k, v in changes.items():
        if v is ...:
            e.pop(k, None)
        else:
            e[k] = v
    return e


def token_form() -> dict[str, str]:
    """The demo client's client-credentials request for a token (a new dict each call)."""
    return {
        "client_id": DEMO_CLIENT_ID,
        "client_secret": DEMO_CLIENT_SECRET,
        "grant_type": "client_credentials",
    }


def get_token(client: httpx.Client, emu: Emulator) -> str:
    r = client.post(emu.token_url, data=token_form())
    assert r.status_code == 200, r.text
    return str(r.json()["access_token"])


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


JSON = {"Content-Type": "application/json"}  # the Meters GET operations require it


def iso(ms: int) -> str:
    """Epoch milliseconds as an ISO 8601 time with a zone."""
    when = dt.datetime.fromtimestamp(ms / 1000, tz=dt.UTC)
    return when.isoformat(timespec="milliseconds")


def now_ms() -> int:
    return int(time.time() * 1000)


def audit_params(
    from_ms: int | None = None, to_ms: int | None = None, **more: Any
) -> dict[str, Any]:
    """A full audit trail query (ERROR, NORMAL, a window around now unless given)."""
    params: dict[str, Any] = {
        "exportType": "ERROR",
        "runType": "NORMAL",
        "queryFromTime": iso(from_ms if from_ms is not None else now_ms() - 3_600_000),
        "queryToTime": iso(to_ms if to_ms is not None else now_ms() + 3_600_000),
    }
    params.update(more)
    return {k: v for k, v in params.items() if v is not None}
