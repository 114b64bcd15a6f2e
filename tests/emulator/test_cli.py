"""``zmed-upload emulator`` as a real process: prints its URLs, serves, stops on Ctrl+C."""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.emulator._helpers import GOOD, bearer
from zmed_gui.cli import emulator_cmd
from zmed_gui.core.errors import OptionsError
from zmed_gui.emulator import DEMO_CLIENT_SECRET, DEMO_METER_ID


@contextmanager
def serving(
    argv: Sequence[str], env: dict[str, str] | None = None, module: str = "zmed_gui.cli"
) -> Iterator[tuple[dict[str, str], subprocess.Popen[str]]]:
    """Start the command, read its banner, yield it; then Ctrl+C and wait."""
    cmd = [sys.executable, "-m", module, *(["emulator"] if module == "zmed_gui.cli" else []), *argv]
    proc = subprocess.Popen(
        cmd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **(env or {})},
    )
    try:
        info: dict[str, str] = {}
        assert proc.stdout is not None
        for _ in range(30):
            line = proc.stdout.readline()
            if not line or line.startswith("Serving until"):
                break
            key, _, value = line.partition(":")
            info[key.strip()] = value.strip()
        assert "base URL" in info, (info, proc.stderr.read() if proc.stderr else "")
        yield info, proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            raise


def token(client: httpx.Client, info: dict[str, str], secret: str = DEMO_CLIENT_SECRET) -> str:
    r = client.post(
        info["token URL"],
        data={
            "client_id": info["client ID"],
            "client_secret": secret,
            "grant_type": "client_credentials",
        },
    )
    assert r.status_code == 200, r.text
    return str(r.json()["access_token"])


def test_serves_demo_meter_and_stops_on_ctrl_c() -> None:
    with serving([]) as (info, proc), httpx.Client(timeout=5) as client:
        assert info["base URL"].startswith("http://127.0.0.1:")
        assert (
            info["upload URL"] == f"{info['base URL']}/meters/streaming/ingestion/{DEMO_METER_ID}"
        )
        assert info["meter ID"].startswith(DEMO_METER_ID)
        assert info["client ID"] == "demo-client"
        auth = bearer(token(client, info))
        assert client.post(info["upload URL"], json=[GOOD] * 3, headers=auth).status_code == 200
        assert client.post(info["bulk URL"], json=GOOD, headers=auth).status_code == 200
    assert proc.returncode == 0
    assert proc.stdout is not None
    assert "4 events accepted" in proc.stdout.read()


def test_sigterm_also_stops_cleanly() -> None:
    with serving([], module="zmed_gui.cli.emulator_cmd") as (_info, proc):
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0


def test_options(tmp_path: Path) -> None:
    schema = tmp_path / "meter.json"
    schema.write_text(
        json.dumps(
            {"fields": [{"name": "Account", "type": "string"}, {"name": "N", "type": "integer"}]}
        ),
        encoding="utf-8",
    )
    record = tmp_path / "rec.ndjson"
    argv = [
        "--meter", "m1", "--schema", str(schema), "--client-id", "me",
        "--client-secret-env", "EMU_SECRET", "--faults", "call2=503:4",
        "--calls-per-minute", "5", "--max-events", "2", "--record", str(record),
    ]  # fmt: skip
    env = {"EMU_SECRET": "s3cret-value"}
    with serving(argv, env) as (info, proc), httpx.Client(timeout=5) as client:
        assert info["client ID"] == "me" and info["meter ID"] == "m1"
        assert "s3cret-value" not in json.dumps(info)
        assert info["faults"] == "call2=503:4.0"
        r = client.post(
            info["token URL"],
            data={
                "client_id": "me",
                "client_secret": DEMO_CLIENT_SECRET,
                "grant_type": "client_credentials",
            },
        )
        assert r.status_code == 401
        auth = bearer(token(client, info, "s3cret-value"))
        url = info["upload URL"]
        assert client.post(url, json={"Account": "A", "N": 1}, headers=auth).status_code == 200
        r = client.post(url, json={"Account": "A", "N": 1}, headers=auth)
        assert r.status_code == 503 and r.headers["retry-after"] == "4"
        assert (
            client.post(url, json=[{"Account": "A", "N": 1}] * 3, headers=auth).status_code == 413
        )
        assert r.headers["ratelimit-limit"] == "5"
    assert proc.returncode == 0
    assert proc.stderr is not None and "s3cret-value" not in proc.stderr.read()
    assert [json.loads(x)["event"] for x in record.read_text().splitlines()] == [
        {"Account": "A", "N": 1}
    ]


@pytest.mark.parametrize(
    ("argv", "env", "needle"),
    [
        (["--faults", "500=2"], {}, "probability"),
        (["--client-secret-env", "NOT_SET_ANYWHERE_X"], {}, "NOT_SET_ANYWHERE_X"),
        (["--schema", "/nonexistent/schema.json"], {}, "schema"),
        (["--client-secret-env", "my secret!"], {}, "not the secret itself"),
    ],
)
def test_unusable_options_exit_2(argv: list[str], env: dict[str, str], needle: str) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "zmed_gui.cli.emulator_cmd", *argv],
        capture_output=True,
        text=True,
        timeout=20,
        env={**os.environ, **env},
    )
    assert proc.returncode == 2
    assert needle in proc.stderr and "Traceback" not in proc.stderr
    assert "my secret!" not in proc.stderr


def test_parser_wiring() -> None:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command")
    emulator_cmd.add_parser(sub)
    args = parser.parse_args(
        ["emulator", "--port", "0", "--max-events", "5", "--max-concurrent", "4"]
    )
    assert args.func is emulator_cmd.run
    config = emulator_cmd.build_config(args)
    assert config.max_events_per_call == 5 and list(config.meters) == [DEMO_METER_ID]
    assert config.max_concurrent_calls == 4 and config.calls_per_minute is None
    assert config.client_secret == DEMO_CLIENT_SECRET
    with pytest.raises(SystemExit):
        parser.parse_args(["emulator", "--max-events", "0"])
    with pytest.raises(SystemExit):
        parser.parse_args(["emulator", "--client-secret", "x"])  # never from argv
    args = parser.parse_args(["emulator", "--meter", "a/b"])
    with pytest.raises(OptionsError):
        emulator_cmd.build_config(args)
