"""Upload helpers shared by the tests that send to the emulator (a module, not a conftest)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from zmed_gui.core.zuora import ZuoraClient
from zmed_gui.emulator import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_METER_ID, Emulator


def event(i: int, **over: Any) -> dict[str, Any]:
    """Usage event number ``i`` (customer ``C{i:06d}``), with fields from ``over``."""
    return {
        "CustomerId": f"C{i:06d}",
        "UsageIdentifier": "api-calls",
        "UsageDate": "2026-11-01T10:00:00Z",
        "Quantity": i,
    } | over


def demo_client(emu: Emulator, timeout: float = 10.0) -> ZuoraClient:
    """A client of ``emu`` with the demo credentials (the caller closes it)."""
    return ZuoraClient(emu.base_url, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, timeout=timeout)


def received_ids(emu: Emulator) -> Counter[str]:
    """How often the emulator accepted each customer id on the demo meter."""
    return Counter(e["CustomerId"] for e in emu.accepted_events(DEMO_METER_ID))
