"""bench/bench_app_flow.py cannot rot: its --quick run drives the whole window end to end.

A real process (the benchmark's own ``main``), offscreen, 2,000 rows, the emulator in a
child process; the figures are not judged here (speed is measured in bench/, never
asserted in tests), only that every phase ran and was recorded.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PHASES = [
    "opened",
    "reviewed",
    "upload",
    "after_upload",
    "repeat_1",
    "cancel_resume_1",
    "final",
]


@pytest.mark.timeout(180)
def test_quick_run_records_every_phase(tmp_path: Path) -> None:
    out = tmp_path / "app_flow.json"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    proc = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "bench_app_flow.py"), "--quick", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=170,
        env=env,
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    record = json.loads(out.read_text(encoding="utf-8"))["runs"]["quick"]
    assert record["summary"]["rows"] == 2_000
    for phase in PHASES:
        figures = record["phases"][phase]
        assert figures["rss_end_mib"] > 0 and figures["peak_rss_mib"] > 0, phase
        assert figures["ticks"] > 0, phase  # the heartbeat ran through it
    assert record["phases"]["upload"]["accepted"] == 2_000
    assert record["phases"]["cancel_resume_1"]["cancelled"] is True
    for key in ("longest_stall_ms", "stall_p99_ms", "peak_rss_mib", "rss_after_upload_mib"):
        assert key in record["summary"]
    assert "GUI stall max" in proc.stdout
