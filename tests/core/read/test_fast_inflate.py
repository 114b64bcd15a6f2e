"""The side scan inflates sheet XML with ISA-L: the same bytes and the same error cells as
zlib gives, and a member whose CRC does not match is still refused."""

from __future__ import annotations

import zipfile
from pathlib import Path

import openpyxl
import pytest

from zmed_gui.core.read import _errorscan
from zmed_gui.core.table import CellError

ERRORS = ["#N/A", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#NULL!"]


def _workbook(path: Path, rows: int = 30_000) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Usage"
    ws.append(["Customer", "Units", "Check"])
    for i in range(rows):
        ws.append([f"C{i}", i * 1.25, ERRORS[i % 7] if i % 997 == 0 else "ok"])
    wb.save(path)


def _inflated(path: Path, member: str, fast: bool) -> bytes:
    with zipfile.ZipFile(path) as z, z.open(member) as stream:
        if fast:
            _errorscan.fast_inflate(stream)
        out = []
        while chunk := stream.read(1 << 16):
            out.append(chunk)
        return b"".join(out)


def test_isal_inflates_the_same_bytes_and_finds_the_same_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "errors.xlsx"
    _workbook(path)
    member = "xl/worksheets/sheet1.xml"
    assert _errorscan.isal_zlib is not None  # a dependency: the fast path is what runs
    assert _inflated(path, member, fast=True) == _inflated(path, member, fast=False)
    fast = _errorscan._xlsx_errors(path, "Usage", "zip")
    monkeypatch.setattr(_errorscan, "isal_zlib", None)
    slow = _errorscan._xlsx_errors(path, "Usage", "zip")
    assert fast == slow
    assert fast[(2, 2)] == CellError("#N/A") and len(fast) == len(range(0, 30_000, 997))


def test_a_damaged_member_is_still_refused(tmp_path: Path) -> None:
    path = tmp_path / "errors.xlsx"
    _workbook(path, 2_000)
    member = "xl/worksheets/sheet1.xml"
    with zipfile.ZipFile(path) as z:
        info = z.getinfo(member)
    data = bytearray(path.read_bytes())
    # The stored CRC of the member's local header and central directory entry, made wrong.
    crc = info.CRC.to_bytes(4, "little")
    wrong = ((info.CRC + 1) & 0xFFFFFFFF).to_bytes(4, "little")
    assert data.count(crc) >= 1
    path.write_bytes(bytes(data).replace(crc, wrong))
    with pytest.raises(zipfile.BadZipFile):
        _inflated(path, member, fast=True)
    assert _errorscan._xlsx_errors(path, "Usage", "zip") == {}  # logged, not raised
