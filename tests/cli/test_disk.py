"""A data folder that cannot take the journal's writes: `send` stops before sending.

The journal lives in the user data folder (XDG_DATA_HOME here). It is put on a small tmpfs
that is then filled up, or remounted read-only (root ignores file modes, a read-only mount
it does not). ``send`` must exit 2 with one sentence saying what is wrong (the disk is
full; the folder is read-only), and the emulator must have received nothing the journal
does not record: here, nothing at all. Both with no journal yet and with a journal from an
earlier upload. Needs root and mount (skipped otherwise).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli._proc import (
    at,
    calls,
    fill_up,
    remount_read_only,
    run,
    send,
    tmpfs,
    usage_csv,
)
from zmed_gui.core.paths import default_journal_path, user_data_dir
from zmed_gui.emulator import Emulator

FULL = re.compile(r"\bfull\b|no space|out of (disk )?space|disk space", re.I)
READ_ONLY = re.compile(r"read[- ]only", re.I)


@pytest.fixture
def emu() -> Iterator[Emulator]:
    with Emulator() as e:
        yield e


@pytest.fixture
def small_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """XDG_DATA_HOME on its own 4 MB tmpfs, for this test and the processes it starts."""
    with tmpfs(tmp_path / "small", size="4m") as where:
        monkeypatch.setenv("XDG_DATA_HOME", str(where))
        yield where


def earlier_upload(emu: Emulator, tmp_path: Path) -> int:
    """A first, successful upload (so a journal exists); returns the emulator's calls."""
    first = run(send(usage_csv(tmp_path / "first.csv", 200, first=90_000), at(emu.base_url)))
    assert first.code == 0, str(first)
    assert default_journal_path().is_file()
    return calls(emu)


@pytest.mark.parametrize("journal", ["no journal yet", "journal exists"])
def test_full_disk_exit_2_and_nothing_sent(
    emu: Emulator, tmp_path: Path, small_data_dir: Path, journal: str
) -> None:
    sent = earlier_upload(emu, tmp_path) if journal == "journal exists" else 0
    user_data_dir()
    filler = fill_up(small_data_dir)
    data = usage_csv(tmp_path / "usage.csv", 2_000)
    ran = run(send(data, at(emu.base_url)))
    assert ran.code == 2, str(ran)
    line = ran.the_error()
    assert FULL.search(line), line
    assert calls(emu) == sent  # nothing of this upload left the computer

    filler.unlink()  # space freed: the same command now works (no journal left broken)
    again = run(send(data, at(emu.base_url)))
    assert again.code == 0, str(again)
    assert again.summary_count("received by Zuora") == 2_000, str(again)


@pytest.mark.parametrize("journal", ["no journal yet", "journal exists"])
def test_read_only_data_folder_exit_2_and_nothing_sent(
    emu: Emulator, tmp_path: Path, small_data_dir: Path, journal: str
) -> None:
    sent = earlier_upload(emu, tmp_path) if journal == "journal exists" else 0
    user_data_dir()
    remount_read_only(small_data_dir)
    data = usage_csv(tmp_path / "usage.csv", 500)
    ran = run(send(data, at(emu.base_url)))
    assert ran.code == 2, str(ran)
    line = ran.the_error()
    assert READ_ONLY.search(line), line
    assert calls(emu) == sent
