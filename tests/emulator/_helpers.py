"""Shared bits for the emulator tests (a module, not a conftest: conftest.py is shared)."""

from __future__ import annotations

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
