"""Throughput of the emulator alone: 100k events, batches of 1,000 and 10,000, gzip on and off.

One httpx client, keep-alive, bodies encoded before the clock starts (so the figure is the
emulator's: HTTP parsing, gunzip, JSON parsing, schema checks, recording). Median of 3 runs.

    .venv/bin/python bench/bench_emulator.py [--events N] [--runs N]

Writes bench/results/emulator.json and prints events/s.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from zmed_gui.emulator import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, Emulator

RESULTS = Path(__file__).resolve().parent / "results" / "emulator.json"


def make_events(n: int) -> list[dict[str, Any]]:
    start = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    # Every UsageDate distinct (one per 7 s), so no validation cache helps.
    return [
        {
            "CustomerId": f"A-{i % 5000:05d}",
            "UsageIdentifier": "api-calls",
            "UsageDate": (start + dt.timedelta(seconds=7 * i)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "Quantity": (i % 1000) / 10,
            **({"Region": "EMEA"} if i % 3 == 0 else {}),
        }
        for i in range(n)
    ]


def bodies(events: list[dict[str, Any]], batch: int, use_gzip: bool) -> list[bytes]:
    out = []
    for i in range(0, len(events), batch):
        data = json.dumps(events[i : i + batch], separators=(",", ":")).encode()
        out.append(gzip.compress(data, compresslevel=6) if use_gzip else data)
    return out


def one_run(
    client: httpx.Client, emu: Emulator, payloads: list[bytes], headers: dict[str, str]
) -> float:
    emu.reset()
    url = emu.upload_url()
    t0 = time.perf_counter()
    for body in payloads:
        r = client.post(url, content=body, headers=headers)
        if r.status_code != 200:
            raise SystemExit(f"unexpected {r.status_code}: {r.text[:200]}")
    return time.perf_counter() - t0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    events = make_events(args.events)
    results: list[dict[str, Any]] = []
    with Emulator() as emu, httpx.Client(timeout=120) as client:
        token = client.post(
            emu.token_url,
            data={
                "client_id": DEMO_CLIENT_ID,
                "client_secret": DEMO_CLIENT_SECRET,
                "grant_type": "client_credentials",
            },
        ).json()["access_token"]
        for batch in (1_000, 10_000):
            for use_gzip in (False, True):
                payloads = bodies(events, batch, use_gzip)
                headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
                if use_gzip:
                    headers["Content-Encoding"] = "gzip"
                times = [one_run(client, emu, payloads, headers) for _ in range(args.runs)]
                assert emu.stats()["accepted_events"] == args.events
                median = statistics.median(times)
                row = {
                    "batch": batch,
                    "gzip": use_gzip,
                    "events": args.events,
                    "calls": len(payloads),
                    "body_bytes": sum(len(b) for b in payloads),
                    "seconds": [round(t, 4) for t in times],
                    "median_seconds": round(median, 4),
                    "events_per_second": round(args.events / median),
                }
                results.append(row)
                print(
                    f"batch {batch:>6}  gzip {'on ' if use_gzip else 'off'}  "
                    f"{row['events_per_second']:>9,} events/s  "
                    f"({len(payloads)} calls, {row['body_bytes'] / 1e6:.1f} MB, "
                    f"median of {args.runs}: {median:.3f} s)"
                )
    report = {
        "benchmark": "emulator throughput (one httpx client, keep-alive, bodies pre-encoded)",
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "load_average_1min_at_end": round(os.getloadavg()[0], 2),  # shared machine: noisy
        "results": results,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
