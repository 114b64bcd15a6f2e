"""Validation after receipt: 200 for well-formed JSON, bad events to the audit trail."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import json
import time
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import httpx
import openpyxl
import pytest

from tests.emulator._helpers import GOOD, JSON, audit_params, bearer, event, get_token, now_ms
from zmed_gui.emulator import (
    DEMO_METER_ID,
    DEMO_METER_NUMBER,
    DEMO_REJECTED_CUSTOMER,
    Emulator,
    EmulatorConfig,
    PostReceiptRule,
    demo_config,
)


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=10) as c:
        yield c


def entries(client: httpx.Client, emu: Emulator, auth: dict[str, str], **params: Any) -> Any:
    r = client.get(emu.audit_url(), params=audit_params(**params), headers=auth | JSON)
    assert r.status_code == 200, r.text
    return r.json()


def test_after_receipt_keeps_good_and_audits_bad(client: httpx.Client) -> None:
    with Emulator(EmulatorConfig(schema_check="after-receipt")) as emu:
        auth = bearer(get_token(client, emu))
        batch = [event(CustomerId="A"), event(CustomerId="B", Quantity="12"), event(Region=3)]
        before = now_ms()
        r = client.post(emu.upload_url(), json=batch, headers=auth)
        assert r.status_code == 200
        assert r.json() == {"success": True, "message": "3 events received"}
        assert emu.accepted_events() == [batch[0]]
        assert emu.rejected_events() == batch[1:]
        body = entries(client, emu, auth)
        assert body["success"] is True and body["nextPage"] is None
        assert body["previousPage"] is None
        data = body["data"]
        assert [e["payload"] for e in data] == batch[1:]
        first = data[0]
        assert set(first) == {
            "errorTime", "errorCode", "errorMessage", "payload", "eventId", "traceId",
            "operatorType", "operatorName", "operatorId",
        }  # fmt: skip
        assert isinstance(first["errorTime"], str) and before <= int(first["errorTime"])
        assert int(first["errorTime"]) <= now_ms()
        assert first["errorCode"] == "70000000"
        assert "Quantity must be a number" in first["errorMessage"]
        assert "Region must be a string" in data[1]["errorMessage"]
        assert first["eventId"].endswith("|0") and first["operatorType"] == "ZUORA_BULK_API"
        # Nothing links an entry to the request: no request ID anywhere in it.
        assert r.headers["zuora-request-id"] not in json.dumps(data)
        stats = emu.stats()
        assert stats["accepted_events"] == 1 and stats["rejected_after_receipt"] == 2
        assert stats["by_status"] == {"200": 1}


def test_after_receipt_still_refuses_what_is_not_json(client: httpx.Client) -> None:
    with Emulator(EmulatorConfig(schema_check="after-receipt")) as emu:
        auth = bearer(get_token(client, emu))
        bad = client.post(emu.upload_url(), content=b"[1,", headers=auth | JSON)
        assert bad.status_code == 400
        r = client.post(emu.upload_url(), json=[GOOD, 5], headers=auth)
        assert r.status_code == 400 and r.json()["code"] == "INVALID_BODY"
        assert "index" not in r.text
        assert emu.stats()["rejected_after_receipt"] == 0


def test_rules_reject_after_receipt_on_receipt_mode(client: httpx.Client) -> None:
    rules = [
        PostReceiptRule("CustomerId", value="BAD"),
        PostReceiptRule("Quantity", pattern=r"-.*", message="Negative usage is refused."),
    ]
    with Emulator(EmulatorConfig(post_receipt_rules=rules)) as emu:
        auth = bearer(get_token(client, emu))
        batch = [event(CustomerId="BAD"), event(Quantity=-5), event(Quantity=5), event()]
        assert client.post(emu.upload_url(), json=batch, headers=auth).status_code == 200
        # The schema is still checked on receipt: a bad event refuses the whole call.
        assert client.post(emu.upload_url(), json=[event(Quantity="x")], headers=auth).is_error
        assert emu.accepted_events() == batch[2:]
        data = entries(client, emu, auth)["data"]
        assert [e["errorMessage"] for e in data] == [
            "CustomerId 'BAD' was rejected by the meter.",
            "Negative usage is refused.",
        ]
        assert {e["operatorType"] for e in data} == {"USAGE_RECORDS"}
        lines = client.get(emu.base_url + "/_emulator/rejected", params={"meter": DEMO_METER_ID})
        assert [json.loads(x) for x in lines.text.splitlines()] == batch[:2]
        kept = client.get(emu.base_url + "/_emulator/events").text.splitlines()
        assert [json.loads(x) for x in kept] == batch[2:]
        audit = client.get(emu.base_url + "/_emulator/audit").text.splitlines()
        assert [json.loads(x)["payload"] for x in audit] == batch[:2]


def test_record_file_holds_kept_events_only(client: httpx.Client, tmp_path: Path) -> None:
    path = tmp_path / "kept.ndjson"
    rules = [PostReceiptRule("CustomerId", value="BAD")]
    config = EmulatorConfig(record_path=path, post_receipt_rules=rules)
    with Emulator(config) as emu:
        auth = bearer(get_token(client, emu))
        client.post(emu.upload_url(), json=[event(CustomerId="BAD"), GOOD], headers=auth)
    assert [json.loads(x)["event"] for x in path.read_text().splitlines()] == [GOOD]


def test_processing_delay(client: httpx.Client) -> None:
    config = EmulatorConfig(schema_check="after-receipt", require_field="Nope", audit_delay=0.4)
    with Emulator(config) as emu:
        auth = bearer(get_token(client, emu))
        sent = now_ms()
        assert client.post(emu.upload_url(), json=GOOD, headers=auth).status_code == 200
        assert entries(client, emu, auth)["data"] == []  # not processed yet
        assert len(emu.audit_entries()) == 1
        deadline = time.monotonic() + 5
        while not (data := entries(client, emu, auth)["data"]) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(data) == 1
        assert int(data[0]["errorTime"]) >= sent + 400
        assert "Nope is required" in data[0]["errorMessage"]


def test_reset_forgets_the_audit_trail(client: httpx.Client) -> None:
    with Emulator(EmulatorConfig(schema_check="after-receipt", require_field="Nope")) as emu:
        auth = bearer(get_token(client, emu))
        client.post(emu.upload_url(), json=[GOOD] * 3, headers=auth)
        assert len(entries(client, emu, auth)["data"]) == 3
        emu.reset()
        assert entries(client, emu, auth)["data"] == [] and emu.rejected_events() == []
        assert emu.stats()["rejected_after_receipt"] == 0


def test_audit_trail_memory_is_bounded(client: httpx.Client) -> None:
    config = EmulatorConfig(schema_check="after-receipt", require_field="X", audit_trail_limit=10)
    with Emulator(config) as emu:
        auth = bearer(get_token(client, emu))
        batch = [event(CustomerId=str(i)) for i in range(25)]
        client.post(emu.upload_url(), json=batch, headers=auth)
        data = entries(client, emu, auth, pageSize=500)["data"]
        assert [e["payload"]["CustomerId"] for e in data] == [str(i) for i in range(15, 25)]


# -- the demo --------------------------------------------------------------------------------
def _sample_rows() -> list[list[str]]:
    res = resources.files("zmed_gui.resources") / "samples" / "demo-usage.csv"
    return list(csv.reader(res.read_text(encoding="utf-8").splitlines()))[3:]


def _as_event(row: list[str]) -> dict[str, Any] | None:
    """What a careful client sends for a sample row (None: it would not send it)."""
    account, product, when, units, region = row[:5]
    try:
        moment = dt.datetime.strptime(when, "%Y-%m-%d %H:%M")
        quantity = float(units)
    except ValueError:
        return None
    if not account:
        return None
    return {
        "CustomerId": account,
        "UsageIdentifier": product,
        "UsageDate": moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "Quantity": quantity,
        "Region": region,
    }


def test_demo_config_rejects_a_couple_of_sample_rows(client: httpx.Client) -> None:
    config = demo_config()
    assert dataclasses.replace(config, post_receipt_rules=[]) == EmulatorConfig()
    assert config.meter_numbers == {DEMO_METER_ID: DEMO_METER_NUMBER}
    events = [e for row in _sample_rows() if (e := _as_event(row)) is not None]
    with Emulator(config) as emu:
        auth = bearer(get_token(client, emu))
        r = client.post(emu.upload_url(), json=events, headers=auth)
        assert r.status_code == 200
        rejected = emu.rejected_events()
        assert len(rejected) == 2
        assert {e["CustomerId"] for e in rejected} == {DEMO_REJECTED_CUSTOMER}
        assert len(emu.accepted_events()) == len(events) - 2
        data = entries(client, emu, auth)["data"]
        assert [e["payload"] for e in data] == rejected
        assert all("does not exist in Zuora Billing" in e["errorMessage"] for e in data)


def test_the_spreadsheet_has_the_same_two_rows() -> None:
    res = resources.files("zmed_gui.resources") / "samples" / "demo-usage.xlsx"
    with resources.as_file(res) as path:
        book = openpyxl.load_workbook(path, read_only=True)
        rows = list(book["Usage"].iter_rows(min_row=4, values_only=True))
        book.close()
    assert sum(1 for r in rows if r[0] == DEMO_REJECTED_CUSTOMER) == 2
