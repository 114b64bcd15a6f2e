"""The whole ``zmed-upload send`` process against a raw sender, 200k events from a CSV.

    .venv/bin/python bench/bench_send.py [--events 200000] [--runs 3] [--cases sandbox,production]

Two cases, each a fresh emulator *process* per run (its CPU shares the machine with the
client, the same way for both sides):

- ``sandbox``: the emulator takes 1,000 events and 1 MB a call (an API Sandbox's limits);
  ``zmed-upload send --base-url`` does not know that (a custom base URL assumes
  Production's 10,000), so it learns it from the 413s, as a user's first upload would;
- ``production``: the emulator takes 10,000 events and 4 MB a call.

The baseline, measured in the same run, is a raw script (a separate process too): it reads
the CSV with the standard library, turns rows into dicts, encodes batches of the tenant's
event limit with ``json.dumps``, gzips them (``gzip.compress``, level 6) and posts them on 4
threads with one httpx client. Nothing else: no validation, no journal, no duplicate guard.
Both sides time the whole process (interpreter start, imports, reading, sending). The figure
is the ratio of the raw sender's median time to ``send``'s (>= 1.0 means send is at least as
fast). Each run checks that the emulator accepted every event. The client processes' CPU
seconds are printed too (the machine is shared: the wall clock moves with others' work).

Figures go to stdout and bench/results/send.json. ``PYTHONPATH=/old/checkout`` measures an
older zmed-gui the same way (its ``zmed-upload`` and emulator), e.g. with
``--out bench/results/send-before.json``.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import platform
import resource
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from zmed_gui.emulator import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_METER_ID

RESULTS = Path(__file__).resolve().parent / "results" / "send.json"
BIN = Path(sys.executable).parent

CASES = {
    "sandbox": {"max_events": 1_000, "max_bytes": 1_000_000},
    "production": {"max_events": 10_000, "max_bytes": 4_000_000},
}

RAW_SENDER = r"""
import csv, gzip, json, sys, threading
import httpx

path, base, upload_url, client_id, secret, batch = sys.argv[1:7]
batch = int(batch)
with open(path, newline="", encoding="utf-8") as f:
    rows = list(csv.DictReader(f))
events = [
    {"CustomerId": r["CustomerId"], "UsageIdentifier": r["UsageIdentifier"],
     "UsageDate": r["UsageDate"], "Quantity": float(r["Quantity"]), "Region": r["Region"]}
    for r in rows
]
client = httpx.Client(timeout=120, limits=httpx.Limits(max_connections=5))
tok = client.post(base + "/oauth/token", data={"grant_type": "client_credentials",
    "client_id": client_id, "client_secret": secret}).json()["access_token"]
headers = {"Authorization": "Bearer " + tok, "Content-Type": "application/json",
           "Content-Encoding": "gzip"}
chunks = [events[i:i + batch] for i in range(0, len(events), batch)]
lock = threading.Lock()
failed = []
def work():
    while True:
        with lock:
            if not chunks:
                return
            chunk = chunks.pop()
        body = gzip.compress(json.dumps(chunk, separators=(",", ":")).encode(), compresslevel=6)
        r = client.post(upload_url, content=body, headers=headers)
        if r.status_code != 200:
            failed.append(r.status_code)
threads = [threading.Thread(target=work) for _ in range(4)]
for t in threads: t.start()
for t in threads: t.join()
if failed:
    sys.exit(f"raw sender: {len(failed)} calls failed: {failed[:5]}")
"""


def write_csv(path: Path, n: int) -> None:
    start = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["CustomerId", "UsageIdentifier", "UsageDate", "Quantity", "Region"])
        for i in range(n):
            when = (start + dt.timedelta(seconds=7 * i)).strftime("%Y-%m-%dT%H:%M:%SZ")
            w.writerow(
                [f"A-{i % 5000:05d}", "api-calls", when, (i % 1000) / 4, ("EMEA", "AMER")[i % 2]]
            )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class EmulatorProcess:
    """``zmed-upload emulator`` in its own process, on a port of its own."""

    def __init__(self, max_events: int, max_bytes: int) -> None:
        self.port = free_port()
        self.proc = subprocess.Popen(
            [
                str(BIN / "zmed-upload"),
                "emulator",
                "--port",
                str(self.port),
                "--max-events",
                str(max_events),
                "--max-payload-bytes",
                str(max_bytes),
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            if line.startswith("base URL:"):
                self.base_url = line.split(":", 1)[1].strip()
            if line.startswith("upload URL:"):
                self.upload_url = line.split(":", 1)[1].strip()
            if line.startswith("Serving"):
                break

    def stop(self) -> int:
        """Stop it; the number of events it accepted."""
        self.proc.send_signal(signal.SIGTERM)
        out, _ = self.proc.communicate(timeout=60)
        for line in out.splitlines():
            if line.startswith("Stopped:"):
                return int(line.split(",")[1].split()[0])
        raise SystemExit(f"the emulator said no figures: {out!r}")


def child_cpu() -> float:
    use = resource.getrusage(resource.RUSAGE_CHILDREN)
    return use.ru_utime + use.ru_stime


def run_send(csv_path: Path, emu: EmulatorProcess, home: Path) -> tuple[float, float]:
    env = dict(os.environ)
    env.update(
        HOME=str(home),
        XDG_DATA_HOME=str(home / "data"),
        XDG_CONFIG_HOME=str(home / "config"),
        XDG_CACHE_HOME=str(home / "cache"),
        ZMED_CLIENT_SECRET=DEMO_CLIENT_SECRET,
        PYTHON_KEYRING_BACKEND="keyring.backends.null.Keyring",
    )
    cmd = [
        str(BIN / "zmed-upload"),
        "send",
        str(csv_path),
        "--base-url",
        emu.base_url,
        "--meter",
        DEMO_METER_ID,
        "--client-id",
        DEMO_CLIENT_ID,
        "--timezone",
        "UTC",
    ]
    c0, t0 = child_cpu(), time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    elapsed, cpu = time.perf_counter() - t0, child_cpu() - c0
    if proc.returncode != 0:
        raise SystemExit(f"zmed-upload send failed ({proc.returncode}): {proc.stdout[-2000:]}")
    return elapsed, cpu


def run_raw(csv_path: Path, emu: EmulatorProcess, batch: int, script: Path) -> tuple[float, float]:
    cmd = [
        sys.executable,
        str(script),
        str(csv_path),
        emu.base_url,
        emu.upload_url,
        DEMO_CLIENT_ID,
        DEMO_CLIENT_SECRET,
        str(batch),
    ]
    c0, t0 = child_cpu(), time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    elapsed, cpu = time.perf_counter() - t0, child_cpu() - c0
    if proc.returncode != 0:
        raise SystemExit(f"the raw sender failed: {proc.stderr[-2000:]}")
    return elapsed, cpu


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, default=200_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--cases", default="sandbox,production", help="comma separated")
    ap.add_argument("--label", default="", help="a note stored with the figures")
    ap.add_argument("--out", type=Path, default=RESULTS, help="where the JSON goes")
    args = ap.parse_args()
    names = [c.strip() for c in args.cases.split(",") if c.strip()]
    results = []
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        csv_path = tmp / "usage.csv"
        write_csv(csv_path, args.events)
        script = tmp / "raw_sender.py"
        script.write_text(RAW_SENDER, encoding="utf-8")
        for name in names:
            lim = CASES[name]
            send_s: list[float] = []
            raw_s: list[float] = []
            send_cpu: list[float] = []
            raw_cpu: list[float] = []
            for run in range(args.runs):
                for side in ("raw", "send"):  # alternate, so drift hits both alike
                    emu = EmulatorProcess(lim["max_events"], lim["max_bytes"])
                    try:
                        if side == "raw":
                            wall, cpu = run_raw(csv_path, emu, lim["max_events"], script)
                            raw_s.append(wall)
                            raw_cpu.append(cpu)
                        else:
                            home = tmp / f"home-{name}-{run}"
                            home.mkdir()
                            wall, cpu = run_send(csv_path, emu, home)
                            send_s.append(wall)
                            send_cpu.append(cpu)
                    finally:
                        accepted = emu.stop()
                    if accepted != args.events:
                        raise SystemExit(
                            f"{side} ({name}): the emulator accepted {accepted:,} of "
                            f"{args.events:,} events"
                        )
            raw_med, send_med = statistics.median(raw_s), statistics.median(send_s)
            case = {
                "case": name,
                "events": args.events,
                "tenant_max_events": lim["max_events"],
                "tenant_max_bytes": lim["max_bytes"],
                "send_median_s": round(send_med, 3),
                "raw_median_s": round(raw_med, 3),
                "ratio_raw_over_send": round(raw_med / send_med, 3),
                "send_runs_s": [round(x, 3) for x in send_s],
                "raw_runs_s": [round(x, 3) for x in raw_s],
                # CPU seconds of the client process alone (user + system): less swayed by
                # other work on a shared machine than the wall clock
                "send_cpu_median_s": round(statistics.median(send_cpu), 3),
                "raw_cpu_median_s": round(statistics.median(raw_cpu), 3),
                "load_average_1min": round(os.getloadavg()[0], 2),
            }
            results.append(case)
            print(
                f"{name:<11} send median {send_med:6.2f} s  raw median {raw_med:6.2f} s  "
                f"-> {raw_med / send_med:.2f}x the raw sender's speed "
                f"(send {case['send_runs_s']}, raw {case['raw_runs_s']}); client CPU: "
                f"send {case['send_cpu_median_s']:.2f} s, raw {case['raw_cpu_median_s']:.2f} s; "
                f"load average {case['load_average_1min']}",
                flush=True,
            )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps(
            {
                "benchmark": "send",
                "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                "label": args.label,
                "python": sys.version.split()[0],
                "machine": platform.machine(),
                "cpus": os.cpu_count(),
                "runs": args.runs,
                "cases": results,
            },
            indent=2,
        )
        + "\n",
        encoding="utf-8",
    )
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
