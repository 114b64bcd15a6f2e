"""The client against Zuora as its documentation describes it (the emulator's strict modes),
each mode over loopback: what is inconvenient for the client included."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.core._upload_helpers import demo_client, event, received_ids
from zmed_gui.core.connections import CUSTOM, Connection, make_target
from zmed_gui.core.errors import MeterRefuses
from zmed_gui.core.journal import Journal
from zmed_gui.core.upload import (
    SourceInfo,
    UploadItem,
    UploadOptions,
    UploadRequest,
    UploadResult,
    UploadSession,
)
from zmed_gui.emulator import DEMO_CLIENT_ID, DEMO_METER_ID, Emulator, EmulatorConfig, FaultPlan

FAST = {"backoff_base": 0.01, "backoff_cap": 0.05}


def items(n: int) -> list[UploadItem]:
    return [UploadItem(i, i + 2, event(i)) for i in range(n)]


@pytest.fixture
def journal(tmp_path: Path) -> Iterator[Journal]:
    with Journal(tmp_path / "journal.sqlite3") as j:
        yield j


def send(emu: Emulator, journal: Journal, its: list[UploadItem], style: str = "bulk",
         **opts: Any) -> UploadResult:  # fmt: skip
    request = UploadRequest(
        target=make_target(emu.base_url, DEMO_METER_ID, style),
        connection=Connection("Emu", CUSTOM, DEMO_CLIENT_ID, custom_base_url=emu.base_url),
        options=UploadOptions(**(FAST | opts)),
        items=its,
        source=SourceInfo("usage.csv", "usage", f"fp-{len(its)}-{style}"),
    )
    with demo_client(emu) as client:
        return UploadSession(request, journal=journal, client=client).run()


@pytest.mark.parametrize(("paths", "style"), [("bulk", "streaming"), ("streaming", "bulk")])
def test_a_tenant_that_answers_one_path_only_works_from_a_meter_id(
    paths: str, style: str, journal: Journal
) -> None:
    with Emulator(EmulatorConfig(ingestion_paths=paths)) as emu:  # type: ignore[arg-type]
        res = send(emu, journal, items(300), style=style, batch_size=100)
        assert res.accepted == 300 and res.complete
        assert set(received_ids(emu).values()) == {1}
        assert emu.stats()["calls"] <= 3 + 2  # one 404 per batch in flight, then the path


def test_429s_with_only_ratelimit_headers_end_with_everything_in_once(journal: Journal) -> None:
    config = EmulatorConfig(
        rate_limit_headers="ratelimit", faults=FaultPlan.parse("seed=3,429=0.3:1")
    )
    with Emulator(config) as emu:
        res = send(emu, journal, items(3000), batch_size=250, concurrency=2)
        assert emu.stats()["faults_injected"].get("429", 0) >= 1
        assert res.accepted == 3000 and res.complete and res.retries >= 1
        assert set(received_ids(emu).values()) == {1}


def test_a_meter_that_refuses_every_event_stops_at_once_with_zuoras_words(
    journal: Journal,
) -> None:
    config = EmulatorConfig(require_field="SubscriptionNumber", error_shape="reasons")
    with Emulator(config) as emu:
        res = send(emu, journal, items(6000), batch_size=500, concurrency=2)
        calls = emu.stats()["calls"]
    assert isinstance(res.error, MeterRefuses)
    assert "SubscriptionNumber" in str(res.error)  # Zuora's message reaches the summary
    assert "check the meter's event fields" in str(res.error)
    assert calls <= 12  # not 11,994 calls bisecting every batch down to single events
    assert res.accepted == 0 and res.interrupted
    # the rows say it too, and stay sendable once the mapping is fixed
    refused = [o for o in res.row_outcomes.values() if "refuses every event" in o.message]
    assert refused and all(o.status == "not sent" for o in refused)


def test_one_bad_event_without_an_index_is_found_cheaply(journal: Journal) -> None:
    with Emulator(EmulatorConfig(error_shape="errors")) as emu:
        its = items(1000)
        its[321] = UploadItem(321, 323, event(321, Quantity="lots"))
        res = send(emu, journal, its, batch_size=1000)
        calls = emu.stats()["calls"]
    assert res.accepted == 999 and res.rejected == 1
    assert res.row_outcomes[321].status == "rejected"
    assert calls <= 30  # two probes, then halving: log2(1000) levels, two calls each


def test_200_with_success_false_is_never_counted_received(journal: Journal) -> None:
    with Emulator(EmulatorConfig(faults=FaultPlan.parse("call1=200-false"))) as emu:
        res = send(emu, journal, items(100), batch_size=100)
        kept = len(emu.accepted_events())
        assert set(received_ids(emu).values()) == {1}
    # the refused call is not "received": its events went again, and each is there once
    assert res.accepted == kept == 100


def test_403_says_which_permission(journal: Journal) -> None:
    with Emulator(EmulatorConfig(forbidden="permission")) as emu:
        res = send(emu, journal, items(10))
    assert res.error is not None and "HTTP 403" in str(res.error)
    assert "Run Meters" in str(res.error) and res.accepted == 0
