"""What a file really is, from its name and first bytes: a workbook (.xlsx/.xlsm zip,
OpenDocument spreadsheet, old-style .xls compound file), a password-protected package, text,
or something that cannot be read (an Excel lock file, a web page or image saved under a
spreadsheet name, a Word document, ...), which gets a message saying what to do instead.
"""

from __future__ import annotations

import mmap
import os
from pathlib import Path

from zmed_gui.core.errors import SourceError
from zmed_gui.core.filekind import kind_sentence, not_a_file, open_regular
from zmed_gui.core.printable import printable

SUPPORTED_EXTENSIONS: tuple[str, ...] = (".xlsx", ".xlsm", ".xls", ".ods", ".csv", ".tsv", ".txt")
_SUPPORTED_TEXT = (
    "an Excel workbook (.xlsx, .xlsm, .xls), an OpenDocument spreadsheet (.ods) or a text "
    "file (.csv, .tsv, .txt)"
)

ZIP = "zip"
ODS = "ods"
CFB = "cfb"
ENCRYPTED = "encrypted"
TEXT = "text"

# Excel's largest sheet saved as .xlsx is a few hundred MB; a file larger than the memory a
# read may use (2 GB, see _guard.py) cannot be read anyway.
MAX_SOURCE_BYTES = 2 * 1024**3

CFB_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_FOREIGN_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"%PDF", "a PDF document"),
    (b"Rar!", "a RAR archive"),
    (b"7z\xbc\xaf", "a 7-Zip archive"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"{\\rtf", "a Rich Text (RTF) document"),
)


def _sniff(path: Path, head: bytes) -> str:
    """The real format of a file from its first bytes; raises SourceError for formats
    that cannot be read."""
    name = path.name
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        if b"mimetypeapplication/vnd.oasis.opendocument.spreadsheet" in head[:200]:
            return ODS
        if b"mimetypeapplication/vnd.oasis.opendocument" in head[:200]:
            raise SourceError(
                f"{name} is an OpenDocument text or presentation file, not a spreadsheet; "
                "open the spreadsheet itself (.ods or .xlsx)."
            )
        for folder, what in ((b"word/", "a Word document"), (b"ppt/", "a PowerPoint file")):
            if folder in head and b"xl/" not in head:
                raise SourceError(
                    f"{name} is really {what}, not a spreadsheet; open the spreadsheet itself "
                    f"instead: {_SUPPORTED_TEXT}."
                )
        return ZIP
    if head.startswith(CFB_MAGIC):
        return ENCRYPTED if _is_encrypted_ooxml(path) else CFB
    if _is_bare_biff(head):
        raise SourceError(
            f"{printable(name)} is an Excel 95 or older workbook, which cannot be read; open it "
            "in Excel or LibreOffice and save it as .xlsx, then open that file."
        )
    if head.startswith(b"BM") and len(head) >= 26 and head[6:10] == b"\0\0\0\0":
        raise SourceError(
            f"{printable(name)} is really a BMP image, not a spreadsheet; open the spreadsheet "
            f"itself instead: {_SUPPORTED_TEXT}."
        )
    for magic, what in _FOREIGN_MAGIC:
        if head.startswith(magic):
            raise SourceError(
                f"{name} is really {what}, not a spreadsheet; open the spreadsheet itself "
                f"instead: {_SUPPORTED_TEXT}."
            )
    stripped = _text_head(head).lstrip().lower()
    if stripped.startswith(("<!doctype html", "<html", "<table", "<meta", "<head", "<body")) or (
        stripped.startswith("<") and "<table" in stripped and "<?mso-application" not in stripped
    ):
        raise SourceError(
            f"{name} is really a web page (HTML) saved with {_article(path.suffix)} "
            f"{path.suffix or 'spreadsheet'} name; open it in Excel and save it as .xlsx, "
            "then open that file."
        )
    if stripped.startswith("<?xml"):
        kind = "an Excel 2003 XML spreadsheet" if "excel.sheet" in stripped else "an XML file"
        raise SourceError(
            f"{name} is really {kind}, which cannot be read directly; open it in Excel and "
            "save it as .xlsx, then open that file."
        )
    return TEXT


def _is_bare_biff(head: bytes) -> bool:
    """An Excel 2.x-5.0 worksheet or workbook stored without the compound-file container:
    the file starts with a BIFF2/3/4/5 BOF record."""
    if len(head) < 8:
        return False
    bof, size = head[0:2], int.from_bytes(head[2:4], "little")
    if bof == b"\x09\x00":  # BIFF2: version?, type 0x10 worksheet / 0x20 chart / 0x40 macro
        return size in (4, 6) and int.from_bytes(head[6:8], "little") in (0x10, 0x20, 0x40)
    if bof in (b"\x09\x02", b"\x09\x04", b"\x09\x08"):
        typ = int.from_bytes(head[6:8], "little")
        return size in (6, 8, 16) and typ in (0x5, 0x10, 0x20, 0x40, 0x100)
    return False


def _article(suffix: str) -> str:
    """ "an .xls", "a .csv": the article as the extension's first letter is spoken."""
    return "an" if suffix[1:2].lower() in tuple("aefhilmnorsx") else "a"


def _text_head(head: bytes) -> str:
    for bom, enc in (
        (b"\xef\xbb\xbf", "utf-8"),
        (b"\xff\xfe", "utf-16-le"),
        (b"\xfe\xff", "utf-16-be"),
    ):
        if head.startswith(bom):
            return head[len(bom) :].decode(enc, errors="ignore")
    return head.decode("latin-1")


def _is_encrypted_ooxml(path: Path) -> bool:
    """An encrypted .xlsx is an OLE compound file holding an "EncryptedPackage" stream."""
    package = "EncryptedPackage".encode("utf-16-le")
    info = "EncryptionInfo".encode("utf-16-le")
    try:
        with path.open("rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as m:
            return m.find(package) != -1 and m.find(info) != -1
    except (OSError, ValueError):
        return False


def check_file(path: Path) -> tuple[str, bytes]:
    """Checks that ``path`` is a readable file of a supported type; returns its real format
    and first bytes."""
    name = path.name
    suffix = path.suffix.lower()
    try:
        what = not_a_file(os.stat(path).st_mode)
    except OSError:
        what = None  # missing or unreadable: said below
    if what is not None:
        # Before the name: a folder or /dev/zero is not "a file without an extension".
        shown = name if what == "a folder" and name else str(path)
        raise SourceError(kind_sentence(shown, what, "choose the spreadsheet"))
    if suffix not in SUPPORTED_EXTENSIONS:
        if suffix == ".numbers":
            hint = "in Numbers choose File > Export To > Excel, then open the .xlsx file"
        elif suffix == ".pdf":
            hint = "ask for the data as an Excel workbook or a CSV file instead"
        else:
            hint = f"save the data as {_SUPPORTED_TEXT} and open that file"
        kind = f"a {suffix} file" if suffix else "a file without an extension"
        raise SourceError(f"{name} is {kind}, which cannot be read; {hint}.")
    if name.startswith("~$"):
        raise SourceError(
            f"{name} is the lock file Excel keeps while a workbook is open, not the data; "
            f"choose {name[2:]} instead."
        )
    if not path.exists():
        raise SourceError(
            f"{name} does not exist in {path.parent}; check the name and folder, or choose "
            "the file again."
        )
    try:
        f, st = open_regular(path)
        if f is None:
            assert isinstance(st, str)
            raise SourceError(kind_sentence(name, st, "choose the spreadsheet"))
        with f:
            assert isinstance(st, os.stat_result)
            if st.st_size > MAX_SOURCE_BYTES:
                raise SourceError(
                    f"{name} is {st.st_size / 2**30:.1f} GB, more than the "
                    f"{MAX_SOURCE_BYTES // 2**30} GB a spreadsheet can be here; split it into "
                    "smaller files or save only the sheet you need."
                )
            head = f.read(8192)
    except OSError as exc:
        raise SourceError(
            f"{name} cannot be opened ({exc.strerror or exc}); close it in other programs "
            "and check that you may read it."
        ) from None
    if not head:
        raise SourceError(
            f"{name} is empty (0 bytes); save the data again from its program, or ask the "
            "sender for a complete copy."
        )
    return _sniff(path, head), head
