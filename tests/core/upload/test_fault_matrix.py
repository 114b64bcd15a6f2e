"""Each fault kind alone, 10k events: every event accepted exactly once, none lost.

A dropped connection after the request left (drop-after, drop-before: the client cannot
tell them apart) makes the batch *uncertain*: never resent by itself. For drop-after the
emulator did record those events, and the journal reports exactly those batches; for
drop-before it did not, and an explicit resend of the uncertain events completes the set.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.core._upload_helpers import demo_client, event, received_ids
from zmed_gui.core.connections import CUSTOM, Connection, make_target
from zmed_gui.core.journal import BatchStatus, Journal
from zmed_gui.core.upload import (
    SourceInfo,
    UploadItem,
    UploadOptions,
    UploadRequest,
    UploadResult,
    UploadSession,
)
from zmed_gui.emulator import (
    DEMO_CLIENT_ID,
    DEMO_METER_ID,
    Emulator,
    EmulatorConfig,
    FaultPlan,
)

N = 10_000
BATCH = 250
ITEMS = [UploadItem(i, i + 2, event(i, Quantity=i % 97)) for i in range(N)]
SOURCE = SourceInfo("matrix.xlsx", "Sheet1", "fp-matrix")
OPTIONS = {"batch_size": BATCH, "concurrency": 4, "backoff_base": 0.02, "backoff_cap": 0.2}

SPECS = {
    "500": "seed=7,500=0.15,call2=500",
    "502": "seed=7,502=0.15,call2=502",
    "503": "seed=7,503=0.15,call2=503",
    "429": "seed=7,429=0.1:1,call2=429",
    "slow": "seed=7,slow=0.1:1.5,call2=slow:1.5",
    # one call at a time, and a seed whose faulty calls are never back to back: a resend
    # that gets a 401 again is a real refusal (test_zuora_client covers that)
    "token-expiry": "seed=5,token-expiry=0.1,call2=token-expiry",
    "drop-before": "seed=7,drop-before=0.1,call2=drop-before",
    "drop-after": "seed=7,drop-after=0.1,call2=drop-after",
}


def upload(emu: Emulator, journal: Journal, **opts: object) -> UploadResult:
    request = UploadRequest(
        target=make_target(emu.base_url, DEMO_METER_ID),
        connection=Connection("Emu", CUSTOM, DEMO_CLIENT_ID, custom_base_url=emu.base_url),
        options=UploadOptions(**(OPTIONS | opts)),  # type: ignore[arg-type]
        items=ITEMS,
        source=SOURCE,
    )
    with demo_client(emu, timeout=10) as client:
        return UploadSession(request, journal=journal, client=client).run()


@pytest.mark.slow
@pytest.mark.parametrize("kind", list(SPECS))
def test_fault_alone(kind: str, tmp_path: Path) -> None:
    config = EmulatorConfig(faults=FaultPlan.parse(SPECS[kind]))
    with Emulator(config) as emu, Journal(tmp_path / "j.db") as journal:
        res = upload(emu, journal, concurrency=1 if kind == "token-expiry" else 4)
        injected = emu.stats()["faults_injected"].get(kind, 0)
        assert injected >= 1
        assert res.error is None and not res.interrupted
        got = received_ids(emu)
        assert max(got.values()) == 1  # never twice
        uncertain_batches = [
            b for b in journal.batches(res.upload_id) if b.status == BatchStatus.UNCERTAIN
        ]
        uncertain_rows = {r for b in uncertain_batches for r in b.excel_rows}
        if kind not in ("drop-before", "drop-after"):
            assert res.accepted == N and res.uncertain == 0 and not uncertain_batches
            assert len(got) == N
            if kind not in ("slow", "token-expiry"):
                assert res.retries >= 1
            return
        # dropped connections: exactly the dropped calls are uncertain, never resent
        assert len(uncertain_batches) == injected
        assert res.uncertain == len(uncertain_rows) == injected * BATCH
        assert res.accepted == N - res.uncertain
        uncertain_ids = {f"C{r - 2:06d}" for r in uncertain_rows}
        if kind == "drop-after":
            assert len(got) == N  # recorded once, none lost
            assert uncertain_ids <= set(got)
            rerun = upload(emu, journal)
            assert rerun.accepted == 0 and rerun.held_uncertain == res.uncertain
            assert max(received_ids(emu).values()) == 1
        else:
            assert set(got) == {it.event["CustomerId"] for it in ITEMS} - uncertain_ids
            before = set(got)
            emu.config.faults = None  # no more faults: the explicit resend goes through
            emu.reset()
            rerun = upload(emu, journal, resend_uncertain=True)
            assert rerun.accepted == res.uncertain and rerun.skipped_duplicates == res.accepted
            assert set(received_ids(emu)) == uncertain_ids  # exactly the missing ones
            assert max(received_ids(emu).values()) == 1
            assert before | uncertain_ids == {it.event["CustomerId"] for it in ITEMS}
