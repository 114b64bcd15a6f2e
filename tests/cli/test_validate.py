"""`zmed-upload validate` end to end on real workbooks and CSV files."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

from zmed_gui.cli import main

HEADERS = ["Account Number", "Product", "Usage Date", "Units"]


def write_xlsx(path: Path, rows: list[list[object]], *, title: str | None = None) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "March"
    if title:
        ws.append([title])
        ws.append([])
    ws.append(HEADERS)
    for row in rows:
        ws.append(row)
    wb.create_sheet("Notes").append(["nothing to see"])
    wb.save(path)
    return path


GOOD = [
    ["A001", "API_CALLS", dt.datetime(2026, 3, 1, 9, 30), 12],
    [100234, "API_CALLS", dt.datetime(2026, 3, 2, 10, 0), 3.5],
    ["A003", "SMS", dt.datetime(2026, 3, 3, 0, 0), 1000],
]


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_valid_workbook_auto_matches_and_writes_events(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = write_xlsx(tmp_path / "usage.xlsx", GOOD, title="Usage export March 2026")
    events = tmp_path / "events.ndjson"
    code, out, err = run(
        capsys, "validate", str(src), "--timezone", "UTC", "--events-out", str(events)
    )
    assert code == 0, out + err
    assert "Automatic matching" in out
    assert "CustomerId" in out and "A (Account Number)" in out
    assert "Rows read: 3" in out and "invalid: 0" in out
    lines = [json.loads(line) for line in events.read_text(encoding="utf-8").splitlines()]
    assert lines == [
        {
            "CustomerId": "A001",
            "UsageIdentifier": "API_CALLS",
            "UsageDate": "2026-03-01T09:30:00+00:00",
            "Quantity": 12,
        },
        {
            "CustomerId": "100234",
            "UsageIdentifier": "API_CALLS",
            "UsageDate": "2026-03-02T10:00:00+00:00",
            "Quantity": 3.5,
        },
        {
            "CustomerId": "A003",
            "UsageIdentifier": "SMS",
            "UsageDate": "2026-03-03T00:00:00+00:00",
            "Quantity": 1000,
        },
    ]


def test_invalid_rows_exit_1_with_row_numbers_and_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = [*GOOD, [None, "SMS", dt.datetime(2026, 3, 4), 5], ["A005", "SMS", "31/02/2026", "ten"]]
    src = write_xlsx(tmp_path / "usage.xlsx", rows)
    report = tmp_path / "report.xlsx"
    code, out, _ = run(
        capsys,
        "validate",
        str(src),
        "--timezone",
        "UTC",
        "--date-order",
        "DMY",
        "--report",
        str(report),
    )
    assert code == 1
    assert "invalid: 2" in out
    assert "rows 5" in out  # the empty customer is on Excel row 5 (header on row 1)
    wb = openpyxl.load_workbook(report)
    data = next(ws for ws in wb.worksheets if ws.title != "Summary")
    header = [c.value for c in data[1]]
    status_col = header.index("Status")
    statuses = [r[status_col].value for r in data.iter_rows(min_row=2)]
    assert statuses == ["valid", "valid", "valid", "invalid", "invalid"]
    errors = [r[header.index("Errors")].value for r in data.iter_rows(min_row=2)]
    assert "CustomerId" in errors[3]
    assert "UsageDate" in errors[4] and "Quantity" in errors[4]


def test_explicit_map_by_letter_and_constant(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "usage.csv"
    path.write_text(
        "acct;when;how much\nA1;2026-03-01 09:00;1,5\nA2;2026-03-02 10:00;2\n", encoding="utf-8"
    )
    events = tmp_path / "e.ndjson"
    code, out, err = run(
        capsys,
        "validate",
        str(path),
        "--map",
        "CustomerId=A",
        "--map",
        "UsageDate=when",
        "--map",
        "quantity=C",
        "--const",
        "UsageIdentifier=API_CALLS",
        "--decimal-comma",
        "--timezone",
        "Europe/Berlin",
        "--events-out",
        str(events),
    )
    assert code == 0, out + err
    assert "Automatic matching" not in out
    first = json.loads(events.read_text(encoding="utf-8").splitlines()[0])
    assert first == {
        "CustomerId": "A1",
        "UsageIdentifier": "API_CALLS",
        "UsageDate": "2026-03-01T09:00:00+01:00",
        "Quantity": 1.5,
    }


def test_sheet_by_index_and_header_row(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = write_xlsx(tmp_path / "usage.xlsx", GOOD, title="A title")
    code, out, err = run(
        capsys, "validate", str(src), "--sheet", "1", "--header-row", "3", "--timezone", "UTC"
    )
    assert code == 0, out + err
    assert "header in row 3" in out


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["--map", "Nope=A"], "only these fields"),
        (["--map", "CustomerId"], "FIELD=VALUE"),
        (["--map", "CustomerId=Zzz Missing"], "Zzz Missing"),
        (["--timezone", "Mars/Olympus"], "time zone"),
        (["--sheet", "Missing sheet"], "Missing sheet"),
    ],
)
def test_unusable_options_exit_2_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], expected: str
) -> None:
    src = write_xlsx(tmp_path / "usage.xlsx", GOOD)
    code, _, err = run(capsys, "validate", str(src), *argv)
    assert code == 2
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert expected in lines[0]
    assert "Traceback" not in err


def test_bad_file_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fake = tmp_path / "usage.xlsx"
    fake.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 100)
    code, _, err = run(capsys, "validate", str(fake))
    assert code == 2
    assert "usage.xlsx" in err and "Traceback" not in err
    code, _, err = run(capsys, "validate", str(tmp_path / "missing.xlsx"))
    assert code == 2 and "missing.xlsx" in err


def test_unmapped_required_field_is_reported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "u.csv"
    path.write_text("Account,Units\nA1,3\n", encoding="utf-8")
    code, out, _ = run(capsys, "validate", str(path))
    assert code == 1
    assert "UsageDate" in out and "not mapped" in out


def test_mapping_profile_round_trip(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from zmed_gui.core.convert import ConversionOptions
    from zmed_gui.core.mapping import FieldSource, Mapping, profile_from, save_profile
    from zmed_gui.core.read import load_table
    from zmed_gui.core.schema import default_schema

    src = write_xlsx(tmp_path / "usage.xlsx", GOOD, title="A title")
    table = load_table(src)
    mapping = Mapping(
        {
            "CustomerId": FieldSource(column=0),
            "UsageIdentifier": FieldSource(constant="FIXED"),
            "UsageDate": FieldSource(column=2),
            "Quantity": FieldSource(column=3),
        }
    )
    profile = profile_from("march", table, default_schema(), mapping, ConversionOptions("UTC"))
    save_profile(profile, tmp_path / "march.json")
    events = tmp_path / "e.ndjson"
    code, out, err = run(
        capsys,
        "validate",
        str(src),
        "--mapping",
        str(tmp_path / "march.json"),
        "--events-out",
        str(events),
    )
    assert code == 0, out + err
    assert all(
        json.loads(line)["UsageIdentifier"] == "FIXED"
        for line in events.read_text(encoding="utf-8").splitlines()
    )


def test_console_script_runs_as_a_process(tmp_path: Path) -> None:
    src = write_xlsx(tmp_path / "usage.xlsx", GOOD)
    proc = subprocess.run(
        [sys.executable, "-m", "zmed_gui.cli", "validate", str(src), "--timezone", "UTC"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Rows read: 3" in proc.stdout


def test_a_date_column_without_proof_names_date_order_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows: list[list[object]] = [[f"A{d}", "API", f"{d:02d}/03/2026", 1] for d in range(1, 6)]
    src = write_xlsx(tmp_path / "usage.xlsx", rows)
    code, out, err = run(capsys, "validate", str(src), "--timezone", "UTC")
    notes = [line for line in out.splitlines() if "--date-order" in line and "note:" in line]
    assert len(notes) == 1, out
    assert "Column C (Usage Date) has 4 dates like '0" in notes[0]
    assert "day first" in notes[0] and "month first" in notes[0]
    code, out, err = run(capsys, "validate", str(src), "--timezone", "UTC", "--date-order", "DMY")
    assert code == 0, out + err
    assert "--date-order" not in out


def test_a_wide_sheet_prints_one_note_for_its_renamed_columns(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "wide.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append([*HEADERS, *[True] * 3_000])
    ws.append(["A001", "API", dt.datetime(2026, 3, 1), 2, *[1] * 3_000])
    wb.save(path)
    code, out, err = run(capsys, "validate", str(path), "--timezone", "UTC")
    assert code == 0, out + err
    notes = [line for line in out.splitlines() if "note:" in line]
    assert notes == [
        "  note: 2,999 columns share a name with an earlier column; they were numbered "
        '("Name (2)", "Name (3)", ...).'
    ]


def test_a_mapping_problem_leaves_no_row_counted_valid(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["Account Number", "Usage Date", "Units"])  # nothing for UsageIdentifier
    for row in GOOD:
        ws.append([row[0], row[2], row[3]])
    wb.save(tmp_path / "few.xlsx")
    code, out, _err = run(capsys, "validate", str(tmp_path / "few.xlsx"), "--timezone", "UTC")
    assert code != 0
    assert "valid: 0;" in out and "invalid: 3" in out, out
    assert "Mapping problem" in out and "UsageIdentifier" in out
    assert "No row can be sent until the mapping is complete" in out


def test_the_summary_never_shows_one_example_for_different_problems() -> None:
    """Cells of one field and code with different problems ("expected a number such as"
    and "expected a finite number") were listed under the first one's sentence."""
    import io

    from tests.core.validate.test_validate import make_table
    from tests.core.validate.test_validate import run as validate_table
    from zmed_gui.cli.validate_cmd import print_summary

    n = 5
    qty: list[object] = ["x", "y", float("inf"), "z", 1]
    result = validate_table(
        make_table([[f"C{i}" for i in range(n)], ["API"] * n, ["2025-11-01"] * n, qty])  # type: ignore[list-item]
    )
    out = io.StringIO()
    print_summary(result, out)
    text = out.getvalue()
    [line] = [t for t in text.splitlines() if " 4 x " in t]
    assert "Quantity: 2 different problems" in line and "expected" not in line, text
    examples = [t.strip() for t in text.splitlines() if t.strip().startswith("e.g.")]
    assert len(examples) == 2, text
    assert "found 'x'; expected a number" in examples[0]
    assert "expected a finite number" in examples[1]
