"""Issue 10 item 8: password-protected workbooks are decrypted in memory with the password
given, a wrong or missing one says so, and the password never shows up in a message or the
log. The .xlsx files are encrypted here with msoffcrypto-tool (ECMA-376 agile encryption,
what Excel 2010+ writes); the .xls files are real Excel 97-2003 samples from msoffcrypto's
test data (tests/data/msoffcrypto/README.md)."""

from __future__ import annotations

import io
import logging
import struct
import zipfile
from pathlib import Path

import openpyxl
import pytest
from msoffcrypto.format.ooxml import OOXMLFile

from zmed_gui.core.errors import SourceError
from zmed_gui.core.read import PasswordNeeded, list_sheets, load_table, read_grid

DATA = Path(__file__).resolve().parents[2] / "data" / "msoffcrypto"
RC4_XLS, RC4_PASSWORD = DATA / "rc4cryptoapi_password.xls", "Password1234_"
XOR_XLS, XOR_PASSWORD = DATA / "xor_password_123456789012345.xls", "123456789012345"
PASSWORD = "Kw4rtal-Ümläut 2026"


def usage_xlsx(path: Path, rows: int = 3) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Usage"
    ws.append(["Account Number", "Product", "Units"])
    for i in range(rows):
        ws.append([f"A{i:05d}", "API_CALLS", i + 1])
    wb.save(path)
    return path


def encrypt(plain: bytes, path: Path, password: str = PASSWORD) -> Path:
    with path.open("wb") as out:
        OOXMLFile(io.BytesIO(plain)).encrypt(password, out)
    return path


@pytest.fixture
def secret_xlsx(tmp_path: Path) -> Path:
    plain = usage_xlsx(tmp_path / "plain.xlsx").read_bytes()
    return encrypt(plain, tmp_path / "secret.xlsx")


def _needed(call: object) -> PasswordNeeded:
    assert callable(call)
    with pytest.raises(PasswordNeeded) as info:
        call()
    return info.value


def test_xlsx_without_password_asks_for_it(secret_xlsx: Path) -> None:
    for call in (
        lambda: list_sheets(secret_xlsx),
        lambda: read_grid(secret_xlsx),
        lambda: load_table(secret_xlsx),
    ):
        exc = _needed(call)
        assert str(exc) == (
            "secret.xlsx is protected with a password; enter its password to open it."
        )
        assert not exc.wrong
        assert exc.file_name == "secret.xlsx"
        assert isinstance(exc, SourceError)  # faces that only know SourceError still say it


def test_xlsx_right_password_reads_the_data(secret_xlsx: Path) -> None:
    assert list_sheets(secret_xlsx, password=PASSWORD) == ["Usage"]
    table = load_table(secret_xlsx, password=PASSWORD)
    assert table.headers == ["Account Number", "Product", "Units"]
    assert table.columns[0] == ["A00000", "A00001", "A00002"]
    assert [int(v) for v in table.columns[2]] == [1, 2, 3]  # type: ignore[call-overload]
    grid = read_grid(secret_xlsx, "Usage", max_rows=2, password=PASSWORD)
    assert grid.row_numbers == [1, 2]


def test_xlsx_wrong_password_says_so_and_never_shows_it(
    secret_xlsx: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    wrong = "not-the-Kw4rtal-password"
    exc = _needed(lambda: load_table(secret_xlsx, password=wrong))
    assert exc.wrong
    assert str(exc) == (
        "The password for secret.xlsx is wrong; check it (capital letters count) and enter "
        "it again."
    )
    load_table(secret_xlsx, password=PASSWORD)
    for secret in (wrong, PASSWORD):
        assert secret not in caplog.text
        assert secret not in repr(exc.args)
        assert exc.__cause__ is None or secret not in str(exc.__cause__)


@pytest.mark.parametrize(
    ("path", "password", "sheet", "first_row"),
    [
        (RC4_XLS, RC4_PASSWORD, "Sheet1", ["lorem ipsum", 3]),
        (XOR_XLS, XOR_PASSWORD, "420", [1] * 26),
    ],
    ids=["rc4-cryptoapi", "xor-obfuscation"],
)
def test_protected_xls(path: Path, password: str, sheet: str, first_row: list[object]) -> None:
    exc = _needed(lambda: read_grid(path))
    assert not exc.wrong
    assert str(exc) == f"{path.name} is protected with a password; enter its password to open it."
    assert _needed(lambda: read_grid(path, password="wrong")).wrong
    assert list_sheets(path, password=password) == [sheet]
    grid = read_grid(path, password=password)
    assert grid.rows[0] == first_row
    assert grid.sheet == sheet


def test_decrypted_workbook_is_bounded_by_the_same_guards(tmp_path: Path) -> None:
    """A zip bomb inside the encryption is refused like a plain one: its sheet part
    declares 3 GB (the central directory patched), checked before calamine sees it."""
    plain = bytearray(usage_xlsx(tmp_path / "plain.xlsx").read_bytes())
    with zipfile.ZipFile(io.BytesIO(bytes(plain))) as z:
        names = z.namelist()
    assert "xl/worksheets/sheet1.xml" in names
    name = b"xl/worksheets/sheet1.xml"
    at = plain.find(b"PK\x01\x02")
    while at != -1:
        name_len = struct.unpack_from("<H", plain, at + 28)[0]
        if plain[at + 46 : at + 46 + name_len] == name:
            struct.pack_into("<I", plain, at + 24, 3 * 2**30)  # uncompressed size
            break
        at = plain.find(b"PK\x01\x02", at + 4)
    assert at != -1
    bomb = encrypt(bytes(plain), tmp_path / "bomb.xlsx")
    with pytest.raises(SourceError) as info:
        read_grid(bomb, password=PASSWORD)
    assert not isinstance(info.value, PasswordNeeded)
    assert str(info.value).startswith("bomb.xlsx would unpack to 3.0 GB or more")


def test_damaged_encrypted_package_is_one_sentence(secret_xlsx: Path, tmp_path: Path) -> None:
    data = secret_xlsx.read_bytes()
    cut = tmp_path / "cut.xlsx"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(SourceError) as info:
        read_grid(cut, password=PASSWORD)
    message = str(info.value)
    assert message.startswith("cut.xlsx ")
    assert "\n" not in message and PASSWORD not in message
