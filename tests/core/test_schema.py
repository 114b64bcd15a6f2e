"""The meter's event schema: the default, JSON files, and their errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from zmed_gui.core.errors import OptionsError
from zmed_gui.core.schema import FieldType, default_schema, load_schema, schema_from_json


def test_default_schema_is_zuoras_four_required_fields() -> None:
    schema = default_schema()
    assert [(f.name, f.type, f.required) for f in schema.fields] == [
        ("CustomerId", FieldType.STRING, True),
        ("UsageIdentifier", FieldType.STRING, True),
        ("UsageDate", FieldType.DATETIME, True),
        ("Quantity", FieldType.NUMBER, True),
    ]


def test_schema_file_replaces_the_default_set_and_round_trips(tmp_path: Path) -> None:
    path = tmp_path / "meter.json"
    path.write_text(
        json.dumps(
            {
                "fields": [
                    {"name": "Account", "type": "string", "required": True},
                    {"name": "Seats", "type": "integer"},
                    {"name": "Billable", "type": "boolean", "required": False},
                    {"name": "Day", "type": "date"},
                    {"name": "At", "type": "date-time"},
                    {"name": "Amount", "type": "decimal"},
                ]
            }
        ),
        encoding="utf-8-sig",  # Windows Notepad writes a BOM
    )
    schema = load_schema(path)
    assert schema.names == ["Account", "Seats", "Billable", "Day", "At", "Amount"]
    assert [f.type for f in schema.fields] == [
        FieldType.STRING, FieldType.INTEGER, FieldType.BOOLEAN,
        FieldType.DATE, FieldType.DATETIME, FieldType.NUMBER,
    ]  # fmt: skip
    assert schema.field("Billable") is not None and not schema.field("Billable").required  # type: ignore[union-attr]
    schema.save(tmp_path / "again.json")
    assert load_schema(tmp_path / "again.json").fields == schema.fields


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("{not json", "not valid JSON (line 1"),
        ("[]", '"fields" list'),
        ('{"fields": []}', "lists no fields"),
        ('{"fields": [{"type": "string"}]}', "field 1 has no name"),
        ('{"fields": [{"name": "A"}, {"name": "A"}]}', "appears twice"),
        ('{"fields": [{"name": "A", "type": "money"}]}', "use one of string, number"),
        ('{"fields": [{"name": "A", "required": "yes"}]}', "true or false"),
    ],
)
def test_unusable_schema_files_say_what_and_where(
    tmp_path: Path, content: str, expected: str
) -> None:
    path = tmp_path / "meter.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(OptionsError) as err:
        load_schema(path)
    assert expected in str(err.value)
    assert "meter.json" in str(err.value)


def test_missing_schema_file(tmp_path: Path) -> None:
    with pytest.raises(OptionsError, match="Cannot read the schema file"):
        load_schema(tmp_path / "nope.json")


def test_schema_from_json_names_its_origin() -> None:
    with pytest.raises(OptionsError, match=r"^the app's fields"):
        schema_from_json({"fields": "x"}, origin="the app's fields")


@pytest.mark.parametrize(
    "text",
    [
        '{"fields": [ {"name": "x", \n',  # cut off after a line break (the walk)
        '{"fields": [ {"name": "x", ',
        "\n\n",
        "",
        '{"fields": [\r\n {"name": "x"\r\n',
    ],
)
def test_a_cut_off_schema_file_is_one_sentence_with_plain_details(
    tmp_path: Path, text: str
) -> None:
    path = tmp_path / "cut.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(OptionsError) as err:
        load_schema(path)
    assert "cut.json" in str(err.value)
    assert "cut.json" in err.value.details and "Traceback" not in str(err.value)
    assert "Traceback" not in err.value.details
