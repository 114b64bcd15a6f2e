"""Each event is encoded, hashed and batched once, the journal is recovered once, and the
result comes from what the session holds: no event is read back from the journal to build
it (issue 12). Counted with the real engine, journal and emulator."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.core._upload_helpers import event
from zmed_gui.core.connections import CUSTOM, Connection, make_target
from zmed_gui.core.journal import EventStatus, Journal
from zmed_gui.core.upload import (
    SourceInfo,
    UploadItem,
    UploadOptions,
    UploadRequest,
    UploadSession,
    _batches,
    _outcomes,
    _planning,
    _sender,
)
from zmed_gui.emulator import (
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    DEMO_METER_ID,
    Emulator,
    EmulatorConfig,
    FaultPlan,
)


@pytest.fixture
def emu() -> Iterator[Emulator]:
    with Emulator() as e:
        yield e


def request_for(emu: Emulator, n: int, **opts: Any) -> UploadRequest:
    return UploadRequest(
        target=make_target(emu.base_url, DEMO_METER_ID),
        connection=Connection("Emu", CUSTOM, DEMO_CLIENT_ID, custom_base_url=emu.base_url),
        options=UploadOptions(batch_size=100, backoff_base=0.01, backoff_cap=0.05, **opts),
        items=[UploadItem(i, i + 2, event(i)) for i in range(n)],
        source=SourceInfo("usage.csv", "usage", "fp-once"),
    )


def counting(
    monkeypatch: pytest.MonkeyPatch, calls: Counter[str], owner: Any, name: str, per: str = ""
) -> None:
    """Count calls of ``owner.name``; with ``per``, count the events of its first argument
    under that name instead (a function that encodes or hashes many in one call)."""
    real: Callable[..., Any] = getattr(owner, name)

    def spy(*args: Any, **kwargs: Any) -> Any:
        if per:
            args = (list(args[0]), *args[1:])
            calls[per] += len(args[0])
        else:
            calls[name] += 1
        return real(*args, **kwargs)

    monkeypatch.setattr(owner, name, spy)


def test_each_event_is_encoded_hashed_and_batched_once(
    emu: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: Counter[str] = Counter()
    for module in (_planning, _sender, _batches):
        for name in ("canonical_json", "event_digest", "make_batches"):
            if hasattr(module, name):
                counting(monkeypatch, calls, module, name)
        # encoded and hashed a chunk at a time: each event of a chunk counts once
        for name, per in (("canonical_parts", "canonical_json"), ("digests", "event_digest")):
            if hasattr(module, name):
                counting(monkeypatch, calls, module, name, per)
    for name in ("recover", "events"):
        counting(monkeypatch, calls, Journal, name)
    n = 1_000
    with UploadSession(
        request_for(emu, n), secret=DEMO_CLIENT_SECRET, journal_path=tmp_path / "j.sqlite3"
    ) as session:
        result = session.run()
    assert result.accepted == n and result.complete
    assert calls["canonical_json"] == n
    assert calls["event_digest"] == n
    assert calls["make_batches"] == 1  # in the plan; the sender sends the plan's batches
    assert calls["recover"] == 1
    assert calls["events"] == 0  # the result is not rebuilt from the journal


def _journal_result(path: Path, session: UploadSession) -> dict[int, Any]:
    """The outcome of every row as the journal has it (what a restart would see)."""
    assert session.plan is not None
    with Journal(path) as journal:
        rows = journal.events(session.plan.upload_id)
        batches = len(journal.batches(session.plan.upload_id))
    res, _ = _outcomes.result_from_events(
        session.plan, rows, batches, retries=0, request_ids=[], error=None, cancelled=False
    )
    return dict(res.row_outcomes)


@pytest.mark.parametrize(
    "faults",
    [
        "seed=3,500=0.2,drop-after=0.1,504=0.1:kept,200-false=0.1,429=0.1",
        "seed=5,drop-before=0.2,503=0.2,drop-after=0.2",
    ],
)
def test_the_result_in_memory_is_what_the_journal_says(tmp_path: Path, faults: str) -> None:
    """Whatever Zuora answers, the in-memory result row for row equals the journal's."""
    config = EmulatorConfig(faults=FaultPlan.parse(faults), max_events_per_call=150)
    path = tmp_path / "j.sqlite3"
    with Emulator(config) as emu:
        request = request_for(emu, 2_000, concurrency=3, max_retry_seconds=2.0)
        request.options.batch_size = 400  # over the limit: 413s split batches too
        with UploadSession(request, secret=DEMO_CLIENT_SECRET, journal_path=path) as session:
            result = session.run()
    memory = dict(result.row_outcomes)
    assert memory == _journal_result(path, session)
    with Journal(path) as journal:
        statuses = Counter(e.status for e in journal.events(result.upload_id))
    assert result.accepted == statuses[EventStatus.ACCEPTED]
    assert result.uncertain == statuses[EventStatus.UNCERTAIN] + statuses[EventStatus.SENDING]
