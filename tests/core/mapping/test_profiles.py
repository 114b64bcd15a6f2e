"""Mapping profiles: saved by header text, reapplied to next month's file."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from zmed_gui.core.convert import ConversionOptions, DateOrder, DateTimeFormat
from zmed_gui.core.errors import OptionsError
from zmed_gui.core.mapping import (
    FieldSource,
    Mapping,
    Profile,
    ProfileSource,
    apply_profile,
    find_profile_for_headers,
    list_profiles,
    load_profile,
    profile_from,
    profile_path,
    profile_to_json,
    profiles_dir,
    save_profile,
)
from zmed_gui.core.schema import FieldType, Schema, SchemaField, default_schema
from zmed_gui.core.table import Table


def _table(headers: list[str | None], sheet: str = "March") -> Table:
    shown = [h if h is not None else f"Column {chr(65 + i)}" for i, h in enumerate(headers)]
    return Table(
        source="usage.xlsx",
        sheet=sheet,
        header_row=3,
        headers=shown,
        original_headers=list(headers),
        columns=[[None] for _ in headers],
        row_numbers=[4],
    )


MARCH = ["Account", "Product", "Date", "Time", "Qty", "Notes"]


def _march_profile(name: str = "monthly") -> Profile:
    table = _table(list(MARCH))
    mapping = Mapping(
        {
            "CustomerId": FieldSource(column=0, confidence=0.9),
            "UsageIdentifier": FieldSource(constant="API_CALLS"),
            "UsageDate": FieldSource(column=2, time_column=3),
            "Quantity": FieldSource(column=4),
        }
    )
    options = ConversionOptions(
        timezone="Europe/Berlin",
        date_order=DateOrder.DMY,
        decimal_comma=True,
        datetime_format=DateTimeFormat.RFC3339_UTC,
    )
    return profile_from(name, table, default_schema(), mapping, options)


def test_profile_from_records_headers_letters_and_options() -> None:
    p = _march_profile()
    assert p.sheet == "March" and p.header_row == 3 and p.headers == MARCH
    assert p.mapping["CustomerId"] == ProfileSource(header="Account", letter="A")
    assert p.mapping["UsageIdentifier"] == ProfileSource(constant="API_CALLS")
    assert p.mapping["UsageDate"] == ProfileSource(
        header="Date", letter="C", time_header="Time", time_letter="D"
    )
    assert p.options.timezone == "Europe/Berlin"


def test_save_and_load_round_trip(tmp_path: Path) -> None:
    p = _march_profile()
    path = tmp_path / "sub" / "monthly.json"
    save_profile(p, path)
    raw = json.loads(path.read_text(encoding="utf-8"))
    assert raw["format"] == "zmed-gui mapping profile" and raw["version"] == 1
    assert raw["options"]["date_order"] == "DMY"
    loaded = load_profile(path)
    assert loaded == p


def test_apply_finds_columns_by_header_after_they_moved() -> None:
    p = _march_profile()
    april = _table(["Notes", "qty", "ACCOUNT", "Product", "Time", "Date", "Extra"])
    mapping, notes = apply_profile(p, april)
    assert notes == []
    assert mapping.sources["CustomerId"].column == 2
    assert mapping.sources["Quantity"].column == 1
    assert mapping.sources["UsageDate"].column == 5
    assert mapping.sources["UsageDate"].time_column == 4
    assert mapping.sources["UsageIdentifier"].constant == "API_CALLS"


def test_apply_reports_gone_columns_and_never_guesses_by_letter() -> None:
    p = _march_profile()
    # Column E now holds "Amount": the profile's "Qty" is gone, E must not be reused.
    april = _table(["Account", "Product", "Date", "Time", "Amount"])
    mapping, notes = apply_profile(p, april)
    assert "Quantity" not in mapping.sources
    assert len(notes) == 1
    assert "'Qty'" in notes[0] and "Quantity" in notes[0] and "'March'" in notes[0]
    assert notes[0].endswith(".")


def test_apply_uses_the_letter_for_a_column_without_header() -> None:
    table = _table(["Account", None, "Date", "Qty"])
    mapping = Mapping(
        {
            "CustomerId": FieldSource(column=0),
            "UsageIdentifier": FieldSource(column=1),
            "UsageDate": FieldSource(column=2),
            "Quantity": FieldSource(column=3),
        }
    )
    p = profile_from("x", table, default_schema(), mapping, ConversionOptions())
    assert p.mapping["UsageIdentifier"] == ProfileSource(letter="B")
    again, notes = apply_profile(p, _table(["Account", None, "Date", "Qty"]))
    assert notes == [] and again.sources["UsageIdentifier"].column == 1
    _, notes = apply_profile(p, _table(["Account"]))
    assert any("column B" in n for n in notes)


def test_custom_schema_survives_the_round_trip(tmp_path: Path) -> None:
    schema = Schema(
        [*default_schema().fields, SchemaField("Region", FieldType.STRING, required=False)],
        name="EU meter",
    )
    table = _table(["Account", "Product", "Date", "Qty", "Region"])
    mapping = Mapping({"Region": FieldSource(column=4), "Quantity": FieldSource(column=3)})
    p = profile_from("eu", table, schema, mapping, ConversionOptions())
    save_profile(p, tmp_path / "eu.json")
    loaded = load_profile(tmp_path / "eu.json")
    assert loaded.schema == schema
    assert apply_profile(loaded, table)[0].sources["Region"].column == 4


def _write(tmp_path: Path, data: object, name: str = "p.json") -> Path:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return path


def _one_sentence(message: str) -> None:
    assert message.endswith(".") and "\n" not in message and "Traceback" not in message


def test_bad_json_names_the_file_and_line(tmp_path: Path) -> None:
    path = _write(tmp_path, '{"format": "zmed-gui mapping profile",\n "version": 1,,}')
    with pytest.raises(OptionsError) as err:
        load_profile(path)
    assert "p.json" in str(err.value) and "line 2" in str(err.value)
    _one_sentence(str(err.value))


def test_missing_file_is_an_options_error(tmp_path: Path) -> None:
    with pytest.raises(OptionsError, match=r"missing\.json"):
        load_profile(tmp_path / "missing.json")


def test_newer_version_says_so(tmp_path: Path) -> None:
    data = profile_to_json(_march_profile())
    data["version"] = 7
    with pytest.raises(OptionsError) as err:
        load_profile(_write(tmp_path, data))
    assert "newer zmed-gui" in str(err.value)
    _one_sentence(str(err.value))


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda d: d.update(format="something else"), "not a zmed-gui mapping profile"),
        (lambda d: d.update(version="one"), "version"),
        (lambda d: d.update(name=""), '"name"'),
        (lambda d: d.update(header_row=0), '"header_row"'),
        (lambda d: d.update(headers="Account"), '"headers"'),
        (lambda d: d.update(mapping=[]), '"mapping"'),
        (lambda d: d["mapping"].update(Quantity=5), 'mapping of "Quantity"'),
        (lambda d: d["mapping"].update(Quantity={"header": 5}), '"header" must be text'),
        (lambda d: d["mapping"].update(Quantity={"colour": "red"}), "colour"),
        (lambda d: d["mapping"].update(Quantity={}), 'mapping of "Quantity"'),
        (lambda d: d["mapping"].update(Nope={"header": "x"}), 'mapping of "Nope"'),
        (lambda d: d["mapping"].update(Quantity={"letter": "12"}), "'12'"),
        (lambda d: d["schema"].update(fields=[]), "schema"),
        (lambda d: d["options"].update(date_order="sideways"), "date_order"),
        (lambda d: d["options"].update(decimal_comma="yes"), "decimal_comma"),
        (lambda d: d.update(options=3), '"options"'),
    ],
)
def test_wrong_shapes_say_what_and_where(tmp_path: Path, change: object, expected: str) -> None:
    data = profile_to_json(_march_profile())
    change(data)  # type: ignore[operator]
    with pytest.raises(OptionsError) as err:
        load_profile(_write(tmp_path, data))
    assert expected in str(err.value)
    assert "p.json" in str(err.value)


def test_profiles_dir_is_in_the_user_data_dir(_isolated_user_dirs: Path) -> None:
    assert profiles_dir().is_dir()
    assert profiles_dir().is_relative_to(_isolated_user_dirs / "data")
    assert profile_path("March/April: usage?").parent == profiles_dir()
    assert profile_path("March/April: usage?").name == "March_April_ usage.json"


def test_list_and_find_profile_for_headers_newest_first() -> None:
    older = _march_profile("older")
    newer = _march_profile("newer")
    other = profile_from(
        "other", _table(["A", "B"]), default_schema(), Mapping(), ConversionOptions()
    )
    for p in (older, newer, other):
        save_profile(p, profile_path(p.name))
    os.utime(profile_path("older"), (1_000_000, 1_000_000))
    os.utime(profile_path("newer"), (2_000_000, 2_000_000))
    profile_path("broken").write_text("{", encoding="utf-8")
    assert [p.stem for p in list_profiles()] == ["broken", "newer", "older", "other"]
    found = find_profile_for_headers(["ACCOUNT", "product", "date", "time", "QTY", "notes"])
    assert found is not None and found.name == "newer"
    assert find_profile_for_headers(["Account", "Product"]) is None


def test_hand_written_profile_with_shorthand_and_no_schema(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        {
            "format": "zmed-gui mapping profile",
            "version": 1,
            "name": "by hand",
            "mapping": {
                "CustomerId": "Account",
                "Quantity": {"letter": "E"},
                "UsageIdentifier": {"constant": "API"},
            },
        },
    )
    p = load_profile(path)
    assert p.schema == default_schema() and p.sheet is None and p.header_row is None
    mapping, notes = apply_profile(p, _table(list(MARCH)))
    assert notes == []
    assert mapping.sources["CustomerId"].column == 0
    assert mapping.sources["Quantity"].column == 4
    assert mapping.sources["UsageIdentifier"].constant == "API"
