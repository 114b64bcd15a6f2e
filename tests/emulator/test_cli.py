"""``zmed-upload emulator`` as a real process: prints its URLs, serves, stops on Ctrl+C."""

from __future__ import annotations

import argparse
import dataclasses
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

from tests.emulator._helpers import GOOD, JSON, audit_params, bearer
from zmed_gui.cli import emulator_cmd
from zmed_gui.core.errors import OptionsError
from zmed_gui.emulator import (
    DEMO_CLIENT_SECRET,
    DEMO_METER_ID,
    DEMO_METER_NUMBER,
    DEMO_REJECTED_CUSTOMER,
    EmulatorConfig,
    PostReceiptRule,
    demo_config,
)


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


def test_demo_rejects_after_receipt_and_shows_it() -> None:
    with serving(["--demo"]) as (info, proc), httpx.Client(timeout=5) as client:
        assert info["meter number"] == str(DEMO_METER_NUMBER)
        assert info["audit URL"].endswith(f"/meters/{DEMO_METER_NUMBER}/auditTrail/entries")
        assert info["modes"] == f"reject CustomerId={DEMO_REJECTED_CUSTOMER}"
        auth = bearer(token(client, info))
        batch = [GOOD, dict(GOOD, CustomerId=DEMO_REJECTED_CUSTOMER)]
        assert client.post(info["upload URL"], json=batch, headers=auth).status_code == 200
        r = client.get(info["audit URL"], params=audit_params(), headers=auth | JSON)
        assert [e["payload"]["CustomerId"] for e in r.json()["data"]] == [DEMO_REJECTED_CUSTOMER]
        r = client.get(info["export URL"], headers=auth | JSON)
        assert r.json()["id"] == DEMO_METER_NUMBER
    assert proc.stdout is not None
    assert "1 events accepted, 1 rejected after receipt" in proc.stdout.read()


def test_mode_options_over_a_real_process() -> None:
    argv = [
        "--paths", "bulk", "--schema-check", "after-receipt", "--require-field", "Contract",
        "--meter", "m1", "--meter-number", "77", "--error-shape", "errors",
    ]  # fmt: skip
    with serving(argv) as (info, _proc), httpx.Client(timeout=5) as client:
        assert info["upload URL"] == info["bulk URL"] == f"{info['base URL']}/usage/bulk/m1"
        assert "ingestion_paths=bulk" in info["modes"] and "require_field=Contract" in info["modes"]
        auth = bearer(token(client, info))
        streaming = f"{info['base URL']}/meters/streaming/ingestion/m1"
        assert client.post(streaming, json=GOOD, headers=auth).status_code == 404
        assert client.post(info["bulk URL"], json=[GOOD] * 3, headers=auth).status_code == 200
        assert info["audit URL"] == f"{info['base URL']}/meters/77/auditTrail/entries"
        r = client.get(info["audit URL"], params=audit_params(), headers=auth | JSON)
        assert len(r.json()["data"]) == 3


def test_mode_options_wiring() -> None:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command")
    emulator_cmd.add_parser(sub)
    args = parser.parse_args([
        "emulator", "--paths", "streaming", "--rate-limit-headers", "ratelimit",
        "--calls-per-hour", "9", "--error-shape", "reasons", "--require-field", "X",
        "--schema-check", "after-receipt", "--reject-after-receipt", "Region=EMEA",
        "--reject-after-receipt", "Quantity~-.*", "--audit-delay", "1.5",
        "--forbidden", "not-enabled", "--gateway-timeout", "lost", "--meter-number", "12",
    ])  # fmt: skip
    config = emulator_cmd.build_config(args)
    assert config.ingestion_paths == "streaming" and config.rate_limit_headers == "ratelimit"
    assert config.calls_per_hour == 9 and config.error_shape == "reasons"
    assert config.require_field == "X" and config.schema_check == "after-receipt"
    assert config.post_receipt_rules == [
        PostReceiptRule("Region", value="EMEA"),
        PostReceiptRule("Quantity", pattern="-.*"),
    ]
    assert config.audit_delay == 1.5 and config.forbidden == "not-enabled"
    assert config.gateway_timeout_keeps_events is False
    assert config.meter_numbers == {DEMO_METER_ID: 12}
    defaults = emulator_cmd.build_config(parser.parse_args(["emulator"]))
    assert dataclasses.replace(defaults, faults=None) == EmulatorConfig()
    demo = emulator_cmd.build_config(parser.parse_args(["emulator", "--demo"]))
    assert demo == demo_config()
    for bad in (["--demo", "--meter", "m1"], ["--reject-after-receipt", "nothing"],
                ["--reject-after-receipt", "F~("]):  # fmt: skip
        with pytest.raises(OptionsError):
            emulator_cmd.build_config(parser.parse_args(["emulator", *bad]))
    for bad in (["--paths", "neither"], ["--audit-delay", "-1"], ["--gateway-timeout", "x"]):
        with pytest.raises(SystemExit):
            parser.parse_args(["emulator", *bad])
