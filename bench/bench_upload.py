"""How fast events go to a meter: 100k events against the in-process emulator.

    python bench/bench_upload.py [--events 100000] [--runs 3] [--batch-sizes 10000,1000]

Cases: batch sizes 10,000 (Production limit) and 1,000 (API Sandbox limit), concurrency 1
and 4, gzip on and off; each the median of ``--runs`` runs, each run
with a fresh journal and a reset emulator (so no event is a duplicate). The time covers
planning (serialising and hashing every event, the duplicate lookup) and sending
(journal writes with synchronous=FULL, gzip, HTTP over loopback); the emulator's own work
(decompressing, parsing and validating every event in Python) is part of it, so these are
figures for the whole loop on one machine, not for Zuora.

Figures go to bench/results/upload.json and to stdout.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

from zmed_gui.core.connections import CUSTOM, Connection, make_target
from zmed_gui.core.journal import Journal
from zmed_gui.core.upload import (
    SourceInfo,
    UploadItem,
    UploadOptions,
    UploadRequest,
    UploadSession,
)
from zmed_gui.core.zuora import ZuoraClient
from zmed_gui.emulator import (
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    DEMO_METER_ID,
    Emulator,
    EmulatorConfig,
)

RESULTS = Path(__file__).resolve().parent / "results" / "upload.json"


def make_items(n: int) -> list[UploadItem]:
    return [
        UploadItem(
            i,
            i + 2,
            {
                "CustomerId": f"A-{i % 5000:05d}",
                "UsageIdentifier": "api-calls",
                "UsageDate": f"2026-11-{1 + i % 28:02d}T{i % 24:02d}:{i % 60:02d}:00+01:00",
                "Quantity": round((i % 1000) * 0.25, 2),
                "Region": ("EMEA", "AMER", "APAC")[i % 3],
            },
        )
        for i in range(n)
    ]


def one_run(
    emu: Emulator, items: list[UploadItem], concurrency: int, gzip: bool, batch_size: int
) -> dict[str, float]:
    emu.reset()
    with tempfile.TemporaryDirectory() as tmp, Journal(Path(tmp) / "journal.db") as journal:
        target = make_target(emu.base_url, DEMO_METER_ID)
        options = UploadOptions(batch_size=batch_size, concurrency=concurrency, gzip=gzip)
        source = SourceInfo("bench.xlsx", "Sheet1", f"bench-{time.time_ns()}")
        with ZuoraClient(emu.base_url, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET) as client:
            client.token()
            conn = Connection("bench", CUSTOM, DEMO_CLIENT_ID, custom_base_url=emu.base_url)
            request = UploadRequest(target, conn, options, items=items, source=source)
            session = UploadSession(request, journal=journal, client=client)
            t0 = time.perf_counter()
            session.prepare()
            t1 = time.perf_counter()
            result = session.send()
            t2 = time.perf_counter()
    if result.accepted != len(items) or emu.stats()["accepted_events"] != len(items):
        raise SystemExit(f"bench run lost events: {result.message}")
    return {"plan_s": t1 - t0, "send_s": t2 - t1, "total_s": t2 - t0}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--batch-sizes", default="10000,1000", help="comma separated")
    args = ap.parse_args()
    sizes = [int(x) for x in args.batch_sizes.split(",") if x.strip()]
    items = make_items(args.events)
    cases = []
    with Emulator(EmulatorConfig(max_events_per_call=max(10_000, *sizes))) as emu:
        for batch_size, concurrency in ((b, c) for b in sizes for c in (1, 4)):
            for gzip in (True, False):
                runs = [
                    one_run(emu, items, concurrency, gzip, batch_size) for _ in range(args.runs)
                ]
                total = statistics.median(r["total_s"] for r in runs)
                case = {
                    "case": f"batch={batch_size},concurrency={concurrency},"
                    f"gzip={'on' if gzip else 'off'}",
                    "concurrency": concurrency,
                    "gzip": gzip,
                    "events": args.events,
                    "batch_size": batch_size,
                    "median_total_s": round(total, 3),
                    "median_plan_s": round(statistics.median(r["plan_s"] for r in runs), 3),
                    "median_send_s": round(statistics.median(r["send_s"] for r in runs), 3),
                    "events_per_s": round(args.events / total),
                    "runs_total_s": [round(r["total_s"], 3) for r in runs],
                }
                cases.append(case)
                print(
                    f"{case['case']:<38} {case['events_per_s']:>9,} events/s  "
                    f"(median {total:.2f} s: plan {case['median_plan_s']:.2f} s, "
                    f"send {case['median_send_s']:.2f} s)",
                    flush=True,
                )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "benchmark": "upload",
                "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                "python": sys.version.split()[0],
                "machine": platform.machine(),
                "cpus": os.cpu_count(),
                "runs": args.runs,
                "cases": cases,
            },
            indent=2,
        )
        + "\n",
        encoding="utf-8",
    )
    print(f"wrote {RESULTS}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
