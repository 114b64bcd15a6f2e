"""Memory of planning a resume (and of the plan kept until the sender starts), headless.

    python bench/probe_resume_memory.py [--rows 1048575] [--done 0.3] [--tracemalloc]
        [--out bench/results/resume_memory.json]

Setup (not measured): ``--rows`` small events, their digests, and a journal holding an
interrupted upload of them whose first ``--done`` share was accepted (the rest pending),
as a cancel part-way leaves it. Measured: VmRSS before planning, the peak VmRSS during
it (sampled every 10 ms), VmRSS with the plan held, and the plan's ``prior_events``
walked as the sender's ledger does; with ``--tracemalloc`` also the traced peak (slower).
``--again`` plans a new upload of the same rows instead (the duplicate check: the
accepted share found, the rest not).
"""

from __future__ import annotations

import argparse
import gc
import json
import tempfile
import threading
import time
import tracemalloc
from pathlib import Path

from zmed_gui.core.connections import make_target
from zmed_gui.core.journal import EventStatus, Journal, UploadStatus
from zmed_gui.core.upload import SourceInfo, UploadItem, UploadOptions
from zmed_gui.core.upload._batches import canonical_parts, digests
from zmed_gui.core.upload._planning import plan_upload
from zmed_gui.emulator import DEMO_METER_ID


def rss_mib() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


class Sampler:
    def __init__(self) -> None:
        self.peak = rss_mib()
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.01):
            self.peak = max(self.peak, rss_mib())

    def __enter__(self) -> Sampler:
        self._t.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._t.join()
        self.peak = max(self.peak, rss_mib())


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_048_575)
    ap.add_argument("--done", type=float, default=0.3)
    ap.add_argument("--tracemalloc", action="store_true")
    ap.add_argument(
        "--again", action="store_true", help="a new upload of the same rows (duplicate check)"
    )
    ap.add_argument("--label", default="")
    ap.add_argument("--out", default="")
    args = ap.parse_args()
    n = args.rows
    items = [
        UploadItem(i, i + 2, {"id": f"C{i:07d}", "qty": i % 97, "ts": "2026-03-01T00:00:00Z"})
        for i in range(n)
    ]
    hashes: list[bytes] = []
    for start in range(0, n, 50_000):
        hashes += digests(canonical_parts([it.event for it in items[start : start + 50_000]]))
    done = int(n * args.done)
    tmp = Path(tempfile.mkdtemp())
    journal = Journal(tmp / "j.sqlite3")
    uid = "resume-probe"
    target = make_target("https://example.invalid", DEMO_METER_ID)
    journal.create_upload(
        upload_id=uid,
        file_name="big.xlsx",
        sheet="Sheet1",
        fingerprint="fp",
        connection="c",
        meter_url=target.url,
        meter_key=target.meter_key,
        track_id="zmed-probe",
        columns=([it.row for it in items], [it.excel_row for it in items], hashes),
        marks={p: (EventStatus.ACCEPTED, "") for p in range(done)},
    )
    journal.finish_upload(uid, UploadStatus.INTERRUPTED, "stopped")
    del hashes
    source = SourceInfo("big.xlsx", "Sheet1", "fp")
    gc.collect()
    before = rss_mib()
    if args.tracemalloc:
        tracemalloc.start()
    t0 = time.perf_counter()
    with Sampler() as s:
        resume = None if args.again else uid
        plan = plan_upload(journal, target, items, source, UploadOptions(), resume)
    wall = time.perf_counter() - t0
    traced = tracemalloc.get_traced_memory()[1] / 2**20 if args.tracemalloc else None
    held = rss_mib()
    with Sampler() as s2:  # what the sender's ledger does with them
        status = [EventStatus.PENDING] * n
        for e in plan.prior_events:
            status[e.pos] = e.status
    if args.again:
        assert len(plan.duplicates) == done and len(plan.to_send) == n - done
    else:
        assert plan.resuming and len(plan.already_done) == done and len(plan.to_send) == n - done
    out = {
        "label": args.label,
        "path": "again (duplicate check)" if args.again else "resume",
        "rows": n,
        "done": done,
        "rss_before_mib": round(before, 1),
        "plan_peak_rss_mib": round(s.peak, 1),
        "plan_peak_over_before_mib": round(s.peak - before, 1),
        "rss_plan_held_mib": round(held, 1),
        "plan_held_over_before_mib": round(held - before, 1),
        "ledger_walk_peak_rss_mib": round(s2.peak, 1),
        "tracemalloc_peak_mib": None if traced is None else round(traced, 1),
        "plan_seconds": round(wall, 2),
    }
    print(json.dumps(out, indent=1))
    if args.out:
        path = Path(args.out)
        old = json.loads(path.read_text()) if path.exists() else []
        path.write_text(json.dumps([*old, out], indent=1) + "\n")
    journal.close()


if __name__ == "__main__":
    main()
