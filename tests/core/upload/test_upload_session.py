"""UploadSession: the one entry point. Cancel in every phase, one upload per meter, silent
servers, honest summaries. Real emulator over loopback, real journals, real sockets."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.core._upload_helpers import event, received_ids
from tests.factories import write_csv
from zmed_gui.core.connections import CUSTOM, Connection, make_target
from zmed_gui.core.convert import ConversionOptions
from zmed_gui.core.errors import Cancelled, ZuoraUnreachable
from zmed_gui.core.journal import Journal, MeterBusy
from zmed_gui.core.mapping import auto_match_table
from zmed_gui.core.progress import CancelToken
from zmed_gui.core.read import load_table
from zmed_gui.core.schema import default_schema
from zmed_gui.core.upload import (
    SourceInfo,
    UploadItem,
    UploadOptions,
    UploadPhase,
    UploadProgress,
    UploadRequest,
    UploadResult,
    UploadSession,
)
from zmed_gui.core.validate import validate
from zmed_gui.emulator import (
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    DEMO_METER_ID,
    Emulator,
    EmulatorConfig,
    FaultPlan,
)

FAST = {"backoff_base": 0.01, "backoff_cap": 0.05}


def connection(base_url: str) -> Connection:
    return Connection("Emu", CUSTOM, DEMO_CLIENT_ID, custom_base_url=base_url)


def items(n: int) -> list[UploadItem]:
    return [UploadItem(i, i + 2, event(i)) for i in range(n)]


def request_for(base_url: str, its: list[UploadItem], **opts: Any) -> UploadRequest:
    return UploadRequest(
        target=make_target(base_url, DEMO_METER_ID),
        connection=connection(base_url),
        options=UploadOptions(**(FAST | opts)),
        items=its,
        source=SourceInfo("usage.csv", "usage", "fp-session"),
    )


@pytest.fixture
def emu() -> Iterator[Emulator]:
    with Emulator() as e:
        yield e


@pytest.fixture
def journal_path(tmp_path: Path) -> Path:
    return tmp_path / "journal.sqlite3"


def validated_csv(tmp_path: Path, n: int) -> tuple[Path, Any]:
    path = tmp_path / "usage.csv"
    write_csv(
        path,
        [
            ["Account", "Item", "Date", "Units"],
            *([f"C{i:06d}", "api-calls", "2026-11-01 10:00", str(i)] for i in range(n)),
        ],
    )
    table = load_table(path)
    schema = default_schema()
    result = validate(
        table, schema, auto_match_table(table, schema), ConversionOptions(timezone="UTC")
    )
    return path, result


@pytest.mark.parametrize(
    "phase",
    [UploadPhase.PREPARING, UploadPhase.FINGERPRINTING, UploadPhase.WAITING, UploadPhase.CHECKING],
)
def test_cancel_before_sending_sends_nothing(
    phase: UploadPhase, emu: Emulator, tmp_path: Path, journal_path: Path
) -> None:
    path, result = validated_csv(tmp_path, 50)
    cancel = CancelToken()
    seen: list[UploadPhase] = []

    def progress(p: UploadProgress) -> None:
        seen.append(p.phase)
        if p.phase == phase:
            cancel.cancel()

    request = UploadRequest(
        target=make_target(emu.base_url, DEMO_METER_ID),
        connection=connection(emu.base_url),
        validation=result,
        path=path,
    )
    session = UploadSession(request, secret=DEMO_CLIENT_SECRET, journal_path=journal_path)
    with pytest.raises(Cancelled):
        session.send(progress, cancel)
    assert phase in seen
    assert emu.stats()["calls"] == 0 and emu.stats()["tokens_issued"] == 0
    # the meter is free again, and nothing was recorded as sent
    with Journal(journal_path) as j:
        assert all(u.accepted == 0 for u in j.list_uploads())
    again = UploadSession(request, secret=DEMO_CLIENT_SECRET, journal_path=journal_path).run()
    assert again.accepted == 50 and again.complete


def test_cancel_while_sending_sends_nothing_after_it(journal_path: Path) -> None:
    config = EmulatorConfig(faults=FaultPlan.parse("slow=1.0:0.3"))
    with Emulator(config) as emu:
        cancel = CancelToken()
        at_cancel: list[int] = []

        def progress(p: UploadProgress) -> None:
            if p.phase == UploadPhase.SENDING and p.accepted and not cancel.cancelled:
                cancel.cancel()
                at_cancel.append(emu.stats()["calls"])

        session = UploadSession(
            request_for(emu.base_url, items(200), batch_size=10, concurrency=2),
            secret=DEMO_CLIENT_SECRET,
            journal_path=journal_path,
        )
        t0 = time.monotonic()
        res = session.run(progress, cancel)
        assert time.monotonic() - t0 < 5
        assert res.cancelled and res.interrupted and not res.complete
        time.sleep(0.8)  # let the abandoned requests arrive, if they were going to
        # at most the requests already in flight when Cancel was pressed reach the meter
        assert emu.stats()["calls"] <= at_cancel[0] + 2
        assert res.accepted + res.uncertain + res.not_sent == 200
        assert "complete" not in res.message


def test_second_session_to_the_same_meter_refuses_then_waits(
    emu: Emulator, journal_path: Path
) -> None:
    first = UploadSession(
        request_for(emu.base_url, items(30)), secret=DEMO_CLIENT_SECRET, journal_path=journal_path
    )
    first.prepare()  # holds the meter, as the app does while its guard dialog is open
    # the same meter spelt another way is the same meter
    other = request_for(emu.base_url + "/", items(30))
    other.target = make_target(emu.base_url + "/", DEMO_METER_ID.upper())
    with pytest.raises(MeterBusy) as info:
        UploadSession(other, secret=DEMO_CLIENT_SECRET, journal_path=journal_path).prepare()
    assert "zmed-upload" in str(info.value) and "running" in str(info.value)
    assert emu.stats()["calls"] == 0

    other.wait = True
    results: list[UploadResult] = []
    waiter = threading.Thread(
        target=lambda: results.append(
            UploadSession(other, secret=DEMO_CLIENT_SECRET, journal_path=journal_path).run()
        )
    )
    waiter.start()
    time.sleep(0.5)
    assert not results  # still waiting for the first one
    assert first.send().accepted == 30
    waiter.join(20)
    assert results and results[0].accepted == 0 and results[0].skipped_duplicates == 30
    assert set(received_ids(emu).values()) == {1}


class SilentServer:
    """Accepts connections, reads what comes, never answers."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.base_url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.conns: list[socket.socket] = []
        self._stop = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self._stop:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            self.conns.append(c)

    def close(self) -> None:
        self._stop = True
        self.sock.close()
        for c in self.conns:
            c.close()


@pytest.fixture
def silent() -> Iterator[SilentServer]:
    s = SilentServer()
    yield s
    s.close()


def test_a_server_that_never_answers_ends_the_upload(
    silent: SilentServer, journal_path: Path
) -> None:
    session = UploadSession(
        request_for(silent.base_url, items(20), stall_seconds=1.5),
        secret="x",
        journal_path=journal_path,
    )
    t0 = time.monotonic()
    res = session.run()
    assert time.monotonic() - t0 < 5
    assert isinstance(res.error, ZuoraUnreachable)
    assert "answered nothing for 2 s" in str(res.error)
    assert res.interrupted and not res.complete and res.accepted == 0


def test_cancel_against_a_server_that_never_answers(
    silent: SilentServer, journal_path: Path
) -> None:
    cancel = CancelToken()
    session = UploadSession(
        request_for(silent.base_url, items(20)), secret="x", journal_path=journal_path
    )
    threading.Timer(0.5, cancel.cancel).start()
    t0 = time.monotonic()
    res = session.run(cancel=cancel)
    assert time.monotonic() - t0 < 3
    assert res.cancelled and res.accepted == 0


def test_summaries_say_no_more_than_is_known(journal_path: Path) -> None:
    with Emulator() as emu:
        ok = UploadSession(
            request_for(emu.base_url, items(10)),
            secret=DEMO_CLIENT_SECRET,
            journal_path=journal_path,
        ).run()
        assert ok.complete and ok.message.startswith(
            "The upload is complete: the local emulator received all"
        )
        assert ok.journal_backup and Path(ok.journal_backup).is_file()
    with Emulator(EmulatorConfig(faults=FaultPlan.parse("drop-after=1.0"))) as emu:
        lost = UploadSession(
            request_for(emu.base_url, items(20), batch_size=10),
            secret=DEMO_CLIENT_SECRET,
            journal_path=journal_path,
        ).run()
        assert not lost.complete and lost.uncertain == 20
        assert lost.message.startswith("Nothing was confirmed: 20 events are uncertain")
        assert "complete" not in lost.message
