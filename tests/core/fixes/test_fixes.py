"""Rows to fix: out to a real workbook, edited with openpyxl as Excel would, and back in."""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

import openpyxl
import pytest

from tests.factories import write_xlsx
from zmed_gui.core.convert import ConversionOptions
from zmed_gui.core.fixes import (
    FIXES_SHEET,
    FixesError,
    RowToFix,
    export_rows_to_fix,
    merge_outcomes,
    not_yet_sent,
    read_fixed_rows,
    rows_to_fix,
)
from zmed_gui.core.mapping import auto_match_table
from zmed_gui.core.read import load_table
from zmed_gui.core.report import RowOutcome, RowUpload
from zmed_gui.core.validate import ValidationResult, revalidate_rows, validate
from zmed_gui.emulator import demo_schema

HEADERS = ["Account", "UOM", "Date", "Qty"]


def validated(path: Path, data: list[list[object]]) -> ValidationResult:
    write_xlsx(path, [HEADERS, *data], sheet="Usage")
    table = load_table(path)
    schema = demo_schema()
    result = validate(
        table, schema, auto_match_table(table, schema), ConversionOptions(timezone="UTC")
    )
    return result


def sample(tmp_path: Path) -> ValidationResult:
    day = dt.datetime(2026, 11, 1, 8, 0)
    data: list[list[object]] = [
        ["ACC-1", "API calls", day, 1],
        ["ACC-2", "API calls", day, "lots"],  # invalid: not a number
        ["ACC-3", "API calls", day, 3],
        ["ACC-4", "API calls", day, 4],
    ]
    result = validated(tmp_path / "usage.xlsx", data)
    result.table.columns[0][3] = '=HYPERLINK("x")'  # text a user typed: never a formula
    return result


def test_rows_that_failed_or_were_not_sent_go_out_with_reasons_and_come_back_as_edits(
    tmp_path: Path,
) -> None:
    result = sample(tmp_path)
    outcomes = {
        0: RowUpload(RowOutcome.ACCEPTED),
        2: RowUpload(RowOutcome.REJECTED, "Quantity is out of range."),
        3: RowUpload(RowOutcome.NOT_SENT, "Not sent: the upload stopped first; run it again."),
    }
    todo = rows_to_fix(result, outcomes)
    # row 3 is valid and only waits for the stopped upload: Resume sends it, nothing to fix
    assert [(r.row, r.excel_row) for r in todo] == [(1, 3), (2, 4)]
    assert "Qty" in todo[0].reason or "Quantity" in todo[0].reason
    assert "Quantity is out of range." in todo[1].reason
    todo.append(RowToFix(3, 5, "For the test: a row with a formula-looking text."))
    out = tmp_path / "fix.xlsx"
    assert export_rows_to_fix(out, result, todo) == 3

    wb = openpyxl.load_workbook(out)
    ws = wb[FIXES_SHEET]
    assert [c.value for c in ws[1]] == ["Row", "Reason", *HEADERS]
    assert ws.cell(4, 3).value == '=HYPERLINK("x")' and ws.cell(4, 3).data_type == "s"
    # unchanged: nothing to apply
    assert read_fixed_rows(out, result.table).edits == []
    ws.cell(2, 6).value = 2  # row 3 (Excel) of the source: the quantity fixed
    wb.save(out)
    fixed = read_fixed_rows(out, result.table)
    assert fixed.edits == [(1, 3, 2)]
    assert fixed.rows == [1, 2, 3] and fixed.changed_rows == [1]


def test_a_workbook_that_is_not_ours_or_of_another_file_is_refused(tmp_path: Path) -> None:
    result = sample(tmp_path)
    plain = write_xlsx(tmp_path / "plain.xlsx", [["Row", "Reason", *HEADERS], [3, "", "x"]])
    with pytest.raises(FixesError, match="not a workbook of rows to fix"):
        read_fixed_rows(plain, result.table)
    other = validated(tmp_path / "other.xlsx", [["A", "API calls", dt.datetime(2026, 1, 1), 1]])
    out = tmp_path / "fix-other.xlsx"
    export_rows_to_fix(out, other, rows_to_fix(other, {}))
    with pytest.raises(FixesError, match=r"holds rows of other\.xlsx"):
        read_fixed_rows(out, result.table)
    junk = tmp_path / "junk.xlsx"
    junk.write_bytes(b"PK\x03\x04" + b"\0" * 5000)
    with pytest.raises(FixesError, match="not a workbook of rows to fix"):
        read_fixed_rows(junk, result.table)


def test_unknown_or_repeated_row_numbers_are_said(tmp_path: Path) -> None:
    result = sample(tmp_path)
    out = tmp_path / "fix.xlsx"
    every = [RowToFix(r, result.table.row_numbers[r], "x") for r in range(len(result.table))]
    export_rows_to_fix(out, result, every)
    wb = openpyxl.load_workbook(out)
    ws = wb[FIXES_SHEET]
    ws.cell(2, 1).value = 999
    wb.save(out)
    with pytest.raises(FixesError, match="'999' in column 'Row' is not a row number"):
        read_fixed_rows(out, result.table)
    ws.cell(2, 1).value = ws.cell(3, 1).value
    wb.save(out)
    with pytest.raises(FixesError, match="listed twice"):
        read_fixed_rows(out, result.table)
    ws.delete_cols(4)
    ws.cell(2, 1).value = 2
    wb.save(out)
    with pytest.raises(FixesError, match="column 'UOM' is missing"):
        read_fixed_rows(out, result.table)


def test_a_zip_bomb_is_refused_in_bounded_time(tmp_path: Path) -> None:
    result = sample(tmp_path)
    bomb = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/worksheets/sheet1.xml", b"\0" * 200_000_000)
    with pytest.raises(FixesError):
        read_fixed_rows(bomb, result.table)


def test_after_a_fix_only_what_no_upload_delivered_is_still_to_send(tmp_path: Path) -> None:
    result = sample(tmp_path)
    first = {
        0: RowUpload(RowOutcome.ACCEPTED),
        1: RowUpload(RowOutcome.NOT_SENT, "The row is invalid, so it was not sent."),
        2: RowUpload(RowOutcome.ACCEPTED),
        3: RowUpload(RowOutcome.UNCERTAIN),
    }
    assert not_yet_sent(result, first) == []
    result.table.columns[3][1] = 2
    revalidate_rows(result, [1])
    assert not_yet_sent(result, first) == [1]
    second = {r: RowUpload(RowOutcome.NOT_SENT) for r in (0, 2, 3)} | {
        1: RowUpload(RowOutcome.ACCEPTED)
    }
    merged = merge_outcomes(first, second)
    assert {r: u.status for r, u in merged.items()} == {
        0: RowOutcome.ACCEPTED,
        1: RowOutcome.ACCEPTED,
        2: RowOutcome.ACCEPTED,
        3: RowOutcome.UNCERTAIN,
    }
    assert not_yet_sent(result, merged) == []


def test_the_reason_an_upload_gave_is_said_once(tmp_path: Path) -> None:
    """Issue 11: "Zuora did not accept it: Rejected by the meter after receipt: ..."."""
    result = sample(tmp_path)
    after = "Rejected by the meter after receipt: The account ACC-3 does not exist"
    outcomes = {
        0: RowUpload(RowOutcome.ACCEPTED),
        2: RowUpload(RowOutcome.REJECTED, after),
        3: RowUpload(RowOutcome.REJECTED),
    }
    todo = {r.row: r.reason for r in rows_to_fix(result, outcomes)}
    assert todo[2] == after
    assert todo[3] == "Zuora did not accept it."  # nothing said: who refused it, at least


def test_the_destination_is_named_truthfully_and_codes_have_words() -> None:
    from zmed_gui.core.upload._outcomes import destination
    from zmed_gui.core.upload._reconcile import _CODE_WORDS

    assert destination("http://127.0.0.1:8765") == "the local emulator"
    assert destination("http://[::1]:8080/") == "the local emulator"
    assert destination("https://rest.apisandbox.zuora.com") == "Zuora"
    assert destination("https://localhost.example.com") == "Zuora"
    assert "70000000" not in _CODE_WORDS["70000000"]
    assert "event definition" in _CODE_WORDS["70000000"]


def test_report_outcomes_says_what_was_sent_and_keeps_batches_shared(tmp_path: Path) -> None:
    """The result report's outcomes come from the session's: a batch's rows keep sharing
    one RowUpload (so the report writes them as plain rows), a row fixed since says "not
    sent yet", a row changed after it was sent says what was sent, a rejected row changed
    since is not sent yet."""
    from zmed_gui.core.fixes import FIXED_NOT_SENT, report_outcomes

    result = validated(tmp_path / "u.xlsx", [[f"A{i}", "calls", dt.datetime(2026, 11, 1), i + 1]
                                            for i in range(6)])  # fmt: skip
    batch = RowUpload(RowOutcome.ACCEPTED, "Received by Zuora.", "req-1")
    outcomes = {0: batch, 1: batch, 2: batch, 3: RowUpload(RowOutcome.REJECTED, "Bad date.")}
    after = {1: [(3, 2, 20.0)]}
    rows = report_outcomes(result, outcomes, pending=[3, 4], after=after)
    assert rows[0] is batch and rows[2] is batch
    assert rows[1].status is RowOutcome.ACCEPTED and rows[1].request_id == "req-1"
    assert rows[1].message == (
        "Changed after it was sent; not sent again. Sent with Qty 2, now 20."
    )
    assert rows[3].status is RowOutcome.NOT_SENT
    assert (
        rows[3].message == "Changed after it was rejected; not sent yet. It was rejected: Bad date."
    )
    assert rows[4].message == FIXED_NOT_SENT
    assert 5 not in rows and outcomes[1] is batch  # the session's own map is not changed
