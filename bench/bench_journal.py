"""The journal's cost per event: recording an upload, its batches, and the file's size.

    .venv/bin/python bench/bench_journal.py [--events 200000] [--runs 3] [--batch 1000]

Records an upload of N events (real sha256 hashes, hex, as every zmed-gui took them) in one
transaction, then runs every batch through begin/attempt/end as the sender does (three
commits each, synchronous=FULL), then reads the duplicate guard's answer for all hashes.
Only the public Journal API is used, so the same script measures an older checkout too:
``PYTHONPATH=/path/to/old/checkout python bench/bench_journal.py`` (the "before" figure).
Medians of --runs runs, each on a new journal. Prints and writes bench/results/journal.json
(or journal-<label>.json with --label).
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

from zmed_gui.core.journal import BatchStatus, EventStatus, Journal

RESULTS = Path(__file__).resolve().parent / "results"


def one_run(n: int, batch: int, hashes: list[str]) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "journal.sqlite3"
        with Journal(path) as j:
            c0, t0 = time.process_time(), time.perf_counter()
            j.create_upload(
                upload_id="u" * 32,
                file_name="usage.csv",
                sheet="usage",
                fingerprint="f" * 64,
                connection="Bench",
                meter_url="https://rest.zuora.com/usage/bulk/" + "8" * 32,
                meter_key="https://rest.zuora.com|" + "8" * 32,
                track_id="t" * 32,
                events=((i, i, i + 2, hashes[i], EventStatus.PENDING, "") for i in range(n)),
            )
            c1, t1 = time.process_time(), time.perf_counter()
            for start in range(0, n, batch):
                pos = list(range(start, min(n, start + batch)))
                seq = j.begin_batch("u" * 32, pos, [p + 2 for p in pos])
                j.batch_attempt("u" * 32, seq)
                j.end_batch("u" * 32, seq, BatchStatus.ACCEPTED, request_id="rq")
            t2 = time.perf_counter()
            found = j.prior_statuses("https://rest.zuora.com|" + "8" * 32, hashes)
            t3 = time.perf_counter()
            assert len(found) == n
        size = path.stat().st_size + sum(
            p.stat().st_size for p in Path(tmp).glob("journal.sqlite3-*")
        )
    return {
        "insert_s": t1 - t0,
        "batches_s": t2 - t1,
        "lookup_s": t3 - t2,
        "bytes_per_event": size / n,
        "insert_cpu_s": c1 - c0,
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, default=200_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--batch", type=int, default=1000)
    ap.add_argument("--label", default="")
    args = ap.parse_args()
    hashes = [hashlib.sha256(f"event {i}".encode()).hexdigest() for i in range(args.events)]
    runs = [one_run(args.events, args.batch, hashes) for _ in range(args.runs)]
    med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
    print(
        f"{args.label or 'this checkout'}: {args.events:,} events: insert {med['insert_s']:.2f} s "
        f"(CPU {med['insert_cpu_s']:.2f} s), {args.events // args.batch} batches "
        f"{med['batches_s']:.2f} s, duplicate lookup "
        f"{med['lookup_s']:.2f} s, {med['bytes_per_event']:.0f} bytes an event (medians of "
        f"{args.runs})"
    )
    out = RESULTS / (f"journal-{args.label}.json" if args.label else "journal.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(
        json.dumps(
            {
                "benchmark": "journal",
                "label": args.label,
                "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                "python": sys.version.split()[0],
                "machine": platform.machine(),
                "cpus": os.cpu_count(),
                "events": args.events,
                "batch": args.batch,
                "runs": [{k: round(v, 3) for k, v in r.items()} for r in runs],
                "median": {k: round(v, 3) for k, v in med.items()},
            },
            indent=2,
        )
        + "\n",
        encoding="utf-8",
    )
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
