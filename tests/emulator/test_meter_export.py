"""``GET /meters/export/{meterId}``: the meter's definition as Zuora exports it."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.emulator._helpers import GOOD, JSON, audit_params, bearer, get_token
from zmed_gui.core.schema import FieldType, Schema, SchemaField
from zmed_gui.emulator import (
    DEMO_METER_ID,
    DEMO_METER_NUMBER,
    Emulator,
    EmulatorConfig,
    PostReceiptRule,
    demo_schema,
)


@pytest.fixture
def emu() -> Iterator[Emulator]:
    rules = [PostReceiptRule("CustomerId", value="A-001")]
    with Emulator(EmulatorConfig(post_receipt_rules=rules)) as e:
        yield e


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=10) as c:
        yield c


@pytest.fixture
def auth(client: httpx.Client, emu: Emulator) -> dict[str, str]:
    return bearer(get_token(client, emu)) | JSON


def test_demo_meter_export(client: httpx.Client, emu: Emulator, auth: dict[str, str]) -> None:
    assert emu.meter_number() == DEMO_METER_NUMBER
    assert emu.export_url() == f"{emu.base_url}/meters/export/{DEMO_METER_NUMBER}"
    r = client.get(emu.export_url(), headers=auth)
    assert r.status_code == 200
    meter = r.json()
    assert meter["id"] == DEMO_METER_NUMBER and meter["globalId"] == DEMO_METER_ID
    assert meter["name"] == "Demo meter (API calls)"
    schema = demo_schema()
    mappings = meter["typeDefinition"]["fieldMappings"]
    assert [set(m) for m in mappings] == [{"name", "field", "required", "dateFormat"}] * 5
    assert [(m["name"], m["field"], m["required"]) for m in mappings] == [
        (f.name, f.name, f.required) for f in schema.fields
    ]
    assert {m["name"]: m["dateFormat"] for m in mappings}["UsageDate"] == "yyyy-MM-dd'T'HH:mm:ss'Z'"
    assert {m["name"]: m["dateFormat"] for m in mappings}["Quantity"] is None
    (definition,) = meter["schemas"]
    assert set(definition) >= {"name", "type", "schema", "eventIdFields"}
    assert definition["eventIdFields"] == []
    body = definition["schema"]
    assert body["required"] == ["CustomerId", "UsageIdentifier", "UsageDate", "Quantity"]
    props = body["properties"]
    assert list(props) == schema.names
    assert props["CustomerId"] == {"type": "string", "description": "The customer's account number"}
    assert props["Quantity"]["type"] == "number"
    assert props["UsageDate"] == {
        "type": "datetime",
        "description": "When it was used",
        "eventTime": True,
        "timeFormat": "yyyy-MM-dd'T'HH:mm:ss'Z'",
    }
    assert sum("eventTime" in p for p in props.values()) == 1


def test_operators_match_the_audit_trail(
    client: httpx.Client, emu: Emulator, auth: dict[str, str]
) -> None:
    client.post(emu.upload_url(), json=GOOD, headers=auth)
    meter = client.get(emu.export_url(), headers=auth).json()
    tasks = {t["id"]: t["operatorType"] for t in meter["versions"][0]["tasks"]}
    (entry,) = client.get(emu.audit_url(), params=audit_params(), headers=auth).json()["data"]
    assert tasks[entry["operatorId"]] == entry["operatorType"] == "USAGE_RECORDS"
    assert "ZUORA_BULK_API" in tasks.values()


def test_added_meter_gets_a_number_and_its_types(
    client: httpx.Client, emu: Emulator, auth: dict[str, str]
) -> None:
    schema = Schema(
        [
            SchemaField("Account", FieldType.STRING),
            SchemaField("Day", FieldType.DATE),
            SchemaField("Units", FieldType.INTEGER),
            SchemaField("Billable", FieldType.BOOLEAN, required=False),
        ]
    )
    number = emu.add_meter("1" * 32, schema)
    assert number == DEMO_METER_NUMBER + 1 == emu.meter_number("1" * 32)
    assert emu.add_meter("2" * 32, schema, number=77) == 77
    with pytest.raises(ValueError):
        emu.add_meter("3" * 32, schema, number=77)
    meter = client.get(emu.export_url("1" * 32), headers=auth).json()
    props = meter["schemas"][0]["schema"]["properties"]
    assert {k: v["type"] for k, v in props.items()} == {
        "Account": "string", "Day": "date", "Units": "integer", "Billable": "boolean",
    }  # fmt: skip
    assert props["Day"]["eventTime"] is True and props["Day"]["timeFormat"] == "yyyy-MM-dd"
    assert meter["schemas"][0]["schema"]["required"] == ["Account", "Day", "Units"]
    assert meter["name"] == f"Meter {number}"
    assert emu.stats()["meter_numbers"] == {DEMO_METER_ID: DEMO_METER_NUMBER, "1" * 32: number,
                                            "2" * 32: 77}  # fmt: skip


def test_refusals(client: httpx.Client, emu: Emulator, auth: dict[str, str]) -> None:
    r = client.get(emu.export_url())
    assert r.status_code == 401 and set(r.json()) == {"success", "errors"}
    r = client.get(f"{emu.base_url}/meters/export/{DEMO_METER_NUMBER + 100}", headers=auth)
    assert r.status_code == 404 and r.json()["errors"][0]["code"] == "70002103"
    r = client.get(f"{emu.base_url}/meters/export/{DEMO_METER_ID}", headers=auth)
    assert r.status_code == 400 and "numeric" in r.json()["errors"][0]["message"]
    r = client.get(emu.export_url(), headers=bearer(auth["Authorization"].split()[1]))
    assert r.status_code == 415
    r = client.delete(emu.export_url(), headers=auth)
    assert r.status_code == 405 and r.headers["allow"] == "GET"


def test_forbidden_tenant_refuses_the_meters_operations(client: httpx.Client) -> None:
    with Emulator(EmulatorConfig(forbidden="not-enabled")) as emu:
        auth = bearer(get_token(client, emu)) | JSON
        for url, params in ((emu.export_url(), None), (emu.audit_url(), audit_params())):
            r = client.get(url, params=params, headers=auth)
            assert r.status_code == 403
            assert r.json()["errors"] == [{
                "code": "70002004",
                "message": "Usage metering is not enabled for your account. Please contact "
                "support to enable it.",
            }]  # fmt: skip


def test_config_checks_its_values() -> None:
    with pytest.raises(ValueError):
        EmulatorConfig(ingestion_paths="neither")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        EmulatorConfig(meter_numbers={"a": 1, "b": 1})
    with pytest.raises(ValueError):
        EmulatorConfig(audit_delay=-1)
    with pytest.raises(ValueError):
        PostReceiptRule("Field", pattern="(")
    with pytest.raises(ValueError):
        PostReceiptRule.parse("no rule here")
    assert PostReceiptRule.parse("Region~EM.*") == PostReceiptRule("Region", pattern="EM.*")
    assert PostReceiptRule.parse("Note=a=b") == PostReceiptRule("Note", value="a=b")


def test_numbers_given_and_free() -> None:
    schema = demo_schema()
    numbers = {"b": 1001, "later": 5000}
    config = EmulatorConfig(meters={"a": schema, "b": schema}, meter_numbers=numbers)
    with Emulator(config) as emu:
        assert emu.meter_number("b") == 1001 and emu.meter_number("a") == 5001
        assert emu.add_meter("later", schema) == 5000  # the number it was given
        assert emu.add_meter("c", schema) == 5002
        with pytest.raises(KeyError):
            emu.meter_number("nope")
