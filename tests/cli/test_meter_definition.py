"""`zmed-upload validate --meter-definition` (and `--schema` with a meter export) end to end."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.factories import write_xlsx
from zmed_gui.cli import main
from zmed_gui.emulator import DEMO_METER_ID, DEMO_METER_NUMBER, demo_schema
from zmed_gui.emulator.meter_export import export_meter

ROWS = [
    ["Account Number", "Product", "Usage Date", "Units"],
    ["A001", "API_CALLS", dt.datetime(2025, 11, 26, 9, 30), 12],  # Berlin winter, +01:00
    ["A002", "API_CALLS", dt.datetime(2025, 7, 1, 9, 30), 3],  # Berlin summer, +02:00
]


@pytest.fixture
def sheet(tmp_path: Path) -> Path:
    return write_xlsx(tmp_path / "usage.xlsx", ROWS)


def meter_file(tmp_path: Path, time_format: str | None = None, name: str = "meter.json") -> Path:
    data: dict[str, Any] = export_meter(DEMO_METER_ID, DEMO_METER_NUMBER, demo_schema())
    if time_format is not None:
        data["schemas"][0]["schema"]["properties"]["UsageDate"]["timeFormat"] = time_format
    path = tmp_path / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def run(capsys: pytest.CaptureFixture[str], *argv: str | Path) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def usage_dates(path: Path) -> list[Any]:
    return [json.loads(line)["UsageDate"] for line in path.read_text("utf-8").splitlines()]


@pytest.mark.parametrize("flag", ["--meter-definition", "--schema"])
def test_validate_writes_the_event_time_as_the_meter_asks(
    tmp_path: Path, sheet: Path, capsys: pytest.CaptureFixture[str], flag: str
) -> None:
    events = tmp_path / "events.ndjson"
    code, out, err = run(
        capsys, "validate", sheet, flag, meter_file(tmp_path), "--timezone", "Europe/Berlin",
        "--events-out", events,
    )  # fmt: skip
    assert code == 0, out + err
    assert (
        "Meter definition: The meter 4061 'Demo meter (API calls)' has 5 fields (4 required): "
        "CustomerId, UsageIdentifier, UsageDate, Quantity, Region." in out
    )
    assert (
        "Meter definition: Event time: UsageDate, written as yyyy-MM-dd'T'HH:mm:ss'Z' "
        "(for example 2026-11-26T08:30:00Z)." in out
    )
    # the quoted Z means UTC: the Berlin times are converted, not just labelled
    assert usage_dates(events) == ["2025-11-26T08:30:00Z", "2025-07-01T07:30:00Z"]


def test_a_meter_that_reads_epoch_ms_gets_numbers(
    tmp_path: Path, sheet: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    events = tmp_path / "events.ndjson"
    code, out, err = run(
        capsys, "validate", sheet, "--meter-definition", meter_file(tmp_path, "epoch_ms"),
        "--timezone", "Europe/Berlin", "--events-out", events,
    )  # fmt: skip
    assert code == 0, out + err
    assert usage_dates(events) == [1764145800000, 1751355000000]
    assert '"UsageDate":1764145800000' in events.read_text("utf-8")  # a JSON number


@pytest.mark.parametrize(
    ("choice", "expected"),
    [
        ("offset-no-colon", ["2025-11-26T09:30:00+0100", "2025-07-01T09:30:00+0200"]),
        ("epoch-ms", [1764145800000, 1751355000000]),
        ("EPOCH_MS", [1764145800000, 1751355000000]),  # Zuora's spelling is taken too
    ],
)
def test_new_datetime_format_choices(
    tmp_path: Path,
    sheet: Path,
    capsys: pytest.CaptureFixture[str],
    choice: str,
    expected: list[Any],
) -> None:
    events = tmp_path / "events.ndjson"
    code, out, err = run(
        capsys, "validate", sheet, "--timezone", "Europe/Berlin", "--datetime-format", choice,
        "--events-out", events,
    )  # fmt: skip
    assert code == 0, out + err
    assert usage_dates(events) == expected


def test_an_explicit_datetime_format_replaces_the_meters_and_says_so(
    tmp_path: Path, sheet: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    events = tmp_path / "events.ndjson"
    code, out, err = run(
        capsys, "validate", sheet, "--meter-definition", meter_file(tmp_path),
        "--timezone", "Europe/Berlin", "--datetime-format", "rfc3339", "--events-out", events,
    )  # fmt: skip
    assert code == 0, out + err
    assert (
        "note: --datetime-format rfc3339 replaces the meter's format yyyy-MM-dd'T'HH:mm:ss'Z' "
        "for UsageDate." in out
    )
    assert usage_dates(events) == ["2025-11-26T09:30:00+01:00", "2025-07-01T09:30:00+02:00"]


def test_schema_and_meter_definition_together_are_refused(
    tmp_path: Path, sheet: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    meter = meter_file(tmp_path)
    code, _, err = run(capsys, "validate", sheet, "--schema", meter, "--meter-definition", meter)
    assert code == 2
    assert err == (
        "zmed-upload: Give the event's fields once: --schema or --meter-definition, not both.\n"
    )


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"schemas": "x"}', 'The meter definition bad.json: "schemas" must be a list of objects.'),
        ("[" * 50_000, "The meter definition bad.json nests its JSON too deeply to be read"),
        (
            '{"fields": [{"name": "A", "type": "string"}]}',
            "bad.json is a list of fields in this app's own format, not a meter definition",
        ),
    ],
)
def test_unusable_meter_definitions_are_one_line(
    tmp_path: Path, sheet: Path, capsys: pytest.CaptureFixture[str], content: str, message: str
) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(content, encoding="utf-8")
    code, out, err = run(capsys, "validate", sheet, "--meter-definition", bad)
    assert code == 2
    assert err.startswith(f"zmed-upload: {message}") and err.count("\n") == 1
    assert "Traceback" not in out + err


def test_meter_definition_in_a_real_process(tmp_path: Path, sheet: Path) -> None:
    events = tmp_path / "events.ndjson"
    proc = subprocess.run(
        [sys.executable, "-m", "zmed_gui.cli", "validate", str(sheet), "--meter-definition",
         str(meter_file(tmp_path)), "--timezone", "UTC", "--events-out", str(events)],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Event time: UsageDate" in proc.stdout
    assert usage_dates(events) == ["2025-11-26T09:30:00Z", "2025-07-01T09:30:00Z"]
