"""`zmed-upload reconcile` against the demo tenant, whose meter rejects some rows after
answering 200: reconcile finds exactly those, and a plain resend delivers exactly them."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from zmed_gui.emulator import (
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    DEMO_METER_ID,
    DEMO_METER_NUMBER,
    DEMO_REJECTED_CUSTOMER,
    Emulator,
    demo_config,
)

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "resources" / "samples" / "demo-usage.csv"
SCHEMA = ROOT / "resources" / "schemas" / "demo-meter.json"


@pytest.fixture
def emu() -> Iterator[Emulator]:
    with Emulator(demo_config()) as e:
        yield e


def cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, ZMED_CLIENT_SECRET=DEMO_CLIENT_SECRET)
    return subprocess.run(
        [sys.executable, "-m", "zmed_gui.cli", *args],
        env=env,
        text=True,
        capture_output=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


def tenant(emu: Emulator) -> list[str]:
    return ["--base-url", emu.base_url, "--client-id", DEMO_CLIENT_ID]


def send(emu: Emulator) -> subprocess.CompletedProcess[str]:
    return cli(
        "send", str(SAMPLE), "--schema", str(SCHEMA), "--timezone", "UTC",
        *tenant(emu), "--meter", DEMO_METER_ID,
    )  # fmt: skip


def test_reconcile_finds_exactly_the_rows_rejected_after_receipt(
    emu: Emulator, tmp_path: Path
) -> None:
    first = send(emu)
    assert first.returncode in (0, 1), first.stdout + first.stderr
    rejected = emu.rejected_events()
    assert rejected and all(e["CustomerId"] == DEMO_REJECTED_CUSTOMER for e in rejected)
    # Zuora answered 200 for them: the upload itself can only say "received"
    assert "received by Zuora" in first.stdout

    report = tmp_path / "reconciled.csv"
    rec = cli(
        "reconcile", *tenant(emu), "--meter-number", str(DEMO_METER_NUMBER),
        "--report", str(report),
    )  # fmt: skip
    assert rec.returncode == 1, rec.stdout + rec.stderr
    assert f"rejected after receipt: {len(rejected)}" in rec.stdout
    assert "does not exist" in rec.stdout  # Zuora's reason, among the top reasons
    lines = report.read_text(encoding="utf-8-sig").splitlines()
    assert sum("rejected after receipt" in line for line in lines) == len(rejected)

    # the account is created in Zuora meanwhile; the same file sent again delivers exactly
    # the rows the meter rejected, nothing else twice
    emu.config.post_receipt_rules = []
    before = len(emu.accepted_events())
    again = send(emu)
    assert again.returncode == 1, again.stdout + again.stderr  # the sample's 4 invalid rows
    assert f"received by Zuora: {len(rejected)}" in again.stdout
    new = emu.accepted_events()[before:]
    assert sorted(e["CustomerId"] for e in new) == sorted(e["CustomerId"] for e in rejected)

    # reconciling again: nothing rejected any more (the old rejections stay on record)
    rec2 = cli("reconcile", *tenant(emu), "--meter-number", str(DEMO_METER_NUMBER))
    assert rec2.returncode == 0, rec2.stdout + rec2.stderr
    assert "rejected after receipt: 0" in rec2.stdout


def test_reconcile_wrong_meter_number_is_one_sentence(emu: Emulator) -> None:
    assert send(emu).returncode in (0, 1)
    rec = cli("reconcile", *tenant(emu), "--meter-number", "999999")
    assert rec.returncode == 2
    assert rec.stderr.count("\n") == 1 and "no meter number 999999" in rec.stderr
    bad = cli("reconcile", *tenant(emu), "--meter-number", "abc")
    assert bad.returncode == 2 and "numeric ID" in bad.stderr
