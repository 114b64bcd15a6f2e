"""`zmed-upload send --event-id-field`, `--meter-deduplicates`, as real processes against the
emulator: the same rows get the same IDs in every run, and an uncertain batch is resent."""

from __future__ import annotations

import dataclasses
import json
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli._proc import at, cli, env, run, send, usage_csv
from zmed_gui.core.schema import FieldType, SchemaField
from zmed_gui.emulator import DEMO_METER_ID, Emulator, EmulatorConfig, FaultPlan, demo_schema

ID_RE = re.compile(r"^zmed-[0-9a-f]{24}$")


@pytest.fixture
def emu() -> Iterator[Emulator]:
    with Emulator(EmulatorConfig(faults=FaultPlan.parse("call1=drop-after"))) as e:
        schema = demo_schema()
        extra = SchemaField("EventId", FieldType.STRING, False, "The meter deduplicates on it")
        e.add_meter(DEMO_METER_ID, dataclasses.replace(schema, fields=[*schema.fields, extra]))
        yield e


def schema_file(path: Path, *, flagged: bool) -> Path:
    """The demo meter's fields plus EventId (marked as the event ID when ``flagged``)."""
    data = demo_schema().to_json()
    data["fields"].append({"name": "EventId", "type": "string", "required": False})
    if flagged:
        data["fields"][-1]["eventId"] = True
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def received_ids(emu: Emulator) -> Counter[str]:
    return Counter(e.get("EventId", "") for e in emu.accepted_events(DEMO_METER_ID))


def test_event_id_field_and_meter_deduplicates(emu: Emulator, tmp_path: Path) -> None:
    data = usage_csv(tmp_path / "usage.csv", 30)
    schema = schema_file(tmp_path / "meter.json", flagged=False)
    base = ["--schema", str(schema), "--event-id-field", "EventId", "--batch-size", "10"]
    first = run(send(data, at(emu.base_url), *base, "--concurrency", "1"), environ=env())
    assert first.code == 1, first
    assert first.summary_count("uncertain") == 10
    ids = received_ids(emu)
    assert len(ids) == 30 and all(ID_RE.match(i) for i in ids), ids  # drop-after: recorded
    # Without the option, the uncertain batch is held back as always.
    held = run(send(data, at(emu.base_url), *base), environ=env())
    assert held.code == 1 and "will not be sent again" in held.out, held
    # With it, a rerun sends the uncertain batch again by itself, with the same IDs.
    again = run(send(data, at(emu.base_url), *base, "--meter-deduplicates"), environ=env())
    assert again.code == 0, again
    assert "the meter drops repeats of the same event ID (EventId)" in again.out
    assert again.summary_count("duplicates skipped") == 20
    assert again.summary_count("received by Zuora") == 10
    after = received_ids(emu)
    assert set(after) == set(ids) and sorted(after.values()) == [1] * 20 + [2] * 10


def test_meter_deduplicates_without_an_event_id_field_is_refused(
    emu: Emulator, tmp_path: Path
) -> None:
    data = usage_csv(tmp_path / "usage.csv", 5)
    ran = run(send(data, at(emu.base_url), "--meter-deduplicates"), environ=env())
    assert ran.code == 2, ran
    assert "no field of the events carries an event ID" in ran.the_error()
    assert emu.stats()["calls"] == 0


def test_a_schema_marked_event_id_field_is_filled_by_automatic_matching(tmp_path: Path) -> None:
    data = usage_csv(tmp_path / "usage.csv", 5)
    schema = schema_file(tmp_path / "meter.json", flagged=True)
    out = tmp_path / "events.ndjson"
    args = ["validate", str(data), "--schema", str(schema), "--events-out", str(out)]
    first = run(cli(*args), environ=env())
    assert first.code == 0, first
    assert "EventId              <- (a stable ID per row: the meter's event ID)" in first.out
    events = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    ids = [e["EventId"] for e in events]
    assert len(set(ids)) == 5 and all(ID_RE.match(i) for i in ids)
    # Another process, the same file: the same IDs ("the same row, the same ID, every time").
    assert run(cli(*args), environ=env()).code == 0
    again = [json.loads(line)["EventId"] for line in out.read_text(encoding="utf-8").splitlines()]
    assert again == ids
