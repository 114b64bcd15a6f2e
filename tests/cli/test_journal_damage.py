"""A damaged journal stops `send` before anything leaves, and says how to go on.

The journal is what keeps an upload from being billed twice; a journal file that is empty
or not a database at all must not be silently replaced by a fresh one. ``send`` exits 2
with one sentence naming the file and pointing to ``zmed-upload journal --set-aside``;
that command moves the file aside (exit 0, printing the new name) and ``send`` then works.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli._proc import all_ids, at, calls, cli, run, send, usage_csv
from tests.core._upload_helpers import received_ids
from zmed_gui.core.paths import default_journal_path, user_data_dir
from zmed_gui.emulator import Emulator

ROWS = 300
SQLITE_HEADER = b"SQLite format 3\x00"

DAMAGE = {
    "empty file": b"",
    "random bytes": random.Random(8).randbytes(16_384),
}


@pytest.fixture
def emu() -> Iterator[Emulator]:
    with Emulator() as e:
        yield e


@pytest.mark.parametrize("damage", list(DAMAGE), ids=list(DAMAGE))
def test_damaged_journal_refuses_then_set_aside_lets_send_work(
    emu: Emulator, tmp_path: Path, damage: str
) -> None:
    user_data_dir()  # the folder exists, as after any earlier run
    journal = default_journal_path()
    content = DAMAGE[damage]
    assert not content.startswith(SQLITE_HEADER)
    journal.write_bytes(content)
    data = usage_csv(tmp_path / "usage.csv", ROWS)

    refused = run(send(data, at(emu.base_url)))
    assert refused.code == 2, str(refused)
    line = refused.the_error()
    assert str(journal) in line, line  # names the journal file
    assert "zmed-upload journal --set-aside" in line, line  # and says what to do
    assert calls(emu) == 0  # nothing sent
    assert journal.read_bytes() == content  # left as it was, for the user to look at

    aside = run(cli("journal", "--set-aside"))
    assert aside.code == 0, str(aside)
    moved = [
        p for p in journal.parent.iterdir()
        if p.name != journal.name and p.is_file() and p.read_bytes() == content
    ]  # fmt: skip
    assert len(moved) == 1, (sorted(p.name for p in journal.parent.iterdir()), str(aside))
    assert moved[0].name in aside.out, str(aside)  # prints the new name
    # the damaged file is no longer where the journal goes (a new journal may be there)
    assert not journal.exists() or journal.read_bytes().startswith(SQLITE_HEADER)

    ok = run(send(data, at(emu.base_url)))
    assert ok.code == 0, str(ok)
    assert ok.summary_count("received by Zuora") == ROWS, str(ok)
    assert calls(emu) >= 1 and set(received_ids(emu)) == all_ids(ROWS)
    assert moved[0].read_bytes() == content  # the set-aside copy is kept
