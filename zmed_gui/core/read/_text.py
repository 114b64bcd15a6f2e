"""Reading delimited text files (.csv, .tsv, .txt) into a :class:`Grid`.

Encoding: the caller's choice when given; else a BOM decides (UTF-8, UTF-16 LE/BE as Excel's
"Unicode Text" writes, UTF-32); UTF-16 and UTF-32 without a BOM are recognised by their NUL
bytes; otherwise strict UTF-8; otherwise (a guess, which ``Decoded.guessed`` says and the
grid's notes name) Windows-1252 (what Excel on Windows writes for "CSV" in western
locales; Latin-1 text decodes to the same letters). Only text that does not look western
at all (mostly non-ASCII letters, e.g. Cyrillic in cp1251) is handed to charset-normalizer.
A few NUL bytes in otherwise plain text are left out, with a note naming their lines.

Delimiter: comma, semicolon, tab or pipe, chosen by how consistently each appears per
record over the first records (quotes respected); ``csv.Sniffer`` guesses wrong too often.
An Excel "sep=;" first line decides instead (and, as in Excel, is not a row).

Cells stay strings; an empty field becomes ``None``. A row's number is its record number
as Excel shows it when it opens the file (record index + 1, even when a quoted field spans
several lines). Blank records are left out; their numbers are skipped.
"""

from __future__ import annotations

import codecs
import csv
import gc
import io
import logging
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from zmed_gui.core.errors import OptionsError, SourceError
from zmed_gui.core.printable import printable
from zmed_gui.core.progress import CancelToken, ProgressCallback, no_progress
from zmed_gui.core.table import CellValue, Grid, blanks_to_none

log = logging.getLogger(__name__)

DELIMITERS = (",", ";", "\t", "|")
# When two delimiters are equally consistent, the one rarer inside data wins: a semicolon
# file with decimal commas ("Müller;12,5") must not be read as comma separated.
_PREFERENCE = {"\t": 0, ";": 1, "|": 2, ",": 3}
_SAMPLE_RECORDS = 50
_CHUNK = 10_000
_SEP_LINE = re.compile(r"\A[\"']?sep=([,;\t|])[\"']?[,;\t|]*(?:\r\n|\n|\r)", re.IGNORECASE)

# A field longer than a spreadsheet cell can be (Excel's 32,767 characters) is refused with
# its row and column: no usage value is that long, and a stray quote that swallows the rest
# of the file is the usual cause. csv's own limit stops it without a cost per field.
MAX_FIELD_CHARS = 32_767
# A line longer than Zuora takes in one call (4 MB, Production and Central Sandbox) cannot
# hold a usage record, and csv builds a line's whole list of fields at once (a one-line
# 200 MB file took 2 GB): such a line is refused before parsing, by a scan that looks at
# every 4 MB window once (milliseconds for a million-row file).
MAX_LINE_CHARS = 4 * 1024 * 1024


@dataclass(frozen=True)
class Decoded:
    """A text file's content and how it was decoded."""

    text: str
    encoding: str  # Python codec name, e.g. "utf-8", "utf-16-le", "cp1252"
    bom: bool
    guessed: bool = False  # no BOM, not UTF-8: the encoding is a guess


def check_encoding(name: str) -> str:
    """The Python codec name for an encoding the user named ("ISO-8859-7", "latin1").

    Raises:
        OptionsError: no such text encoding.
    """
    try:
        info = codecs.lookup(name.strip())
    except (LookupError, ValueError):
        info = None
    if info is None or not getattr(info, "_is_text_encoding", True):
        raise OptionsError(
            f"The encoding '{printable(name)}' is not known; use a name such as utf-8, "
            "cp1252, iso-8859-7, cp1251, utf-16 or shift_jis."
        )
    return info.name


def encoding_label(encoding: str) -> str:
    """How an encoding is shown to the user: "ISO-8859-7", "Windows-1252", "UTF-8"."""
    name = codecs.lookup(encoding).name
    if name.startswith("cp") and name[2:].isdigit() and name[2:].startswith("125"):
        return f"Windows-{name[2:]}"
    if name.startswith("iso8859-"):
        return "ISO-8859-" + name.split("-", 1)[1]
    return name.upper()


def _forced(data: bytes, encoding: str, source: str) -> Decoded:
    codec = codecs.lookup(encoding).name
    boms = {
        "utf-8": codecs.BOM_UTF8,
        "utf-8-sig": codecs.BOM_UTF8,
        "utf-16-le": codecs.BOM_UTF16_LE,
        "utf-16-be": codecs.BOM_UTF16_BE,
        "utf-32-le": codecs.BOM_UTF32_LE,
        "utf-32-be": codecs.BOM_UTF32_BE,
    }
    bom = boms.get(codec)
    has_bom = bom is not None and data.startswith(bom)
    body = data[len(bom) :] if bom is not None and has_bom else data
    try:
        text = body.decode(codec)
    except UnicodeDecodeError as exc:
        line = body[: exc.start].count(b"\n") + 1
        raise SourceError(
            f"{source} is not {encoding_label(codec)} text (line {line} has bytes that are "
            "not); choose another encoding."
        ) from None
    return Decoded(text, codec, has_bom)


def decode_text(data: bytes, source: str, encoding: str | None = None) -> Decoded:
    """Decodes a text file's bytes in ``encoding``, or detecting the encoding when None.

    Raises:
        SourceError: the bytes are not text in any encoding tried (or not in ``encoding``).
    """
    if encoding is not None:
        return _forced(data, encoding, source)
    if data.startswith(codecs.BOM_UTF8):
        return Decoded(_strict(data[3:], "utf-8", source), "utf-8", True)
    if data.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)) and len(data) % 4 == 0:
        enc = "utf-32-le" if data.startswith(codecs.BOM_UTF32_LE) else "utf-32-be"
        return Decoded(_strict(data[4:], enc, source), enc, True)
    if data.startswith(codecs.BOM_UTF16_LE):
        return Decoded(_strict(data[2:], "utf-16-le", source), "utf-16-le", True)
    if data.startswith(codecs.BOM_UTF16_BE):
        return Decoded(_strict(data[2:], "utf-16-be", source), "utf-16-be", True)
    utf32 = _utf32_without_bom(data[:4096])
    if utf32 and len(data) % 4 == 0:
        return Decoded(_strict(data, utf32, source), utf32, False)
    utf16 = _utf16_without_bom(data[:4096])
    if utf16:
        return Decoded(_strict(data, utf16, source), utf16, False)
    head = data[:8192]
    nuls = head.count(0)
    if (nuls > 2 and nuls * 200 > len(head)) or _binary_controls(head):
        raise SourceError(
            f"{source} is not a text file (it contains binary data); save the data from "
            "Excel as .xlsx or as CSV and open that file instead."
        )
    try:
        return Decoded(data.decode("utf-8"), "utf-8", False)
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("cp1252")
        encoding = "cp1252"
    except UnicodeDecodeError:
        # Bytes 0x81, 0x8D, 0x8F, 0x90, 0x9D are unassigned in cp1252: ISO Latin-1 then.
        text = data.decode("latin-1")
        encoding = "latin-1"
    if _looks_western(text):
        return Decoded(text, encoding, False, guessed=True)
    guessed = _guess_with_charset_normalizer(data)
    if guessed is not None:
        return guessed
    return Decoded(text, encoding, False, guessed=True)


def _binary_controls(head: bytes) -> bool:
    """Control bytes that text never holds (beyond tab, newlines, form feed, NUL, ESC)."""
    bad = sum(head.count(b) for b in (1, 2, 3, 4, 5, 6, 7, 8, 14, 15, 16, 17, 18, 19, 20))
    return bad * 20 > len(head) and bad > 4


def _utf32_without_bom(head: bytes) -> str | None:
    """UTF-32 without BOM: every code unit has a NUL high half (below U+10000 and mostly
    below U+0100)."""
    n = len(head) // 4 * 4
    if n < 8:
        return None
    units = [head[i : i + 4] for i in range(0, n, 4)]
    if all(u[2:] == b"\0\0" and u[:2] != b"\0\0" for u in units):
        return "utf-32-le"
    if all(u[:2] == b"\0\0" and u[2:] != b"\0\0" for u in units):
        return "utf-32-be"
    return None


def _strict(data: bytes, encoding: str, source: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        log.info("decoding %s as %s failed: %s", source, encoding, exc)
        raise SourceError(
            f"{source} says it is {encoding.upper()} text but contains bytes that are not; "
            "open it in Excel and save it again as 'CSV UTF-8' or as .xlsx."
        ) from None


def _utf16_without_bom(head: bytes) -> str | None:
    """UTF-16 without BOM: ASCII-heavy text has a NUL in every other byte."""
    if len(head) < 4:
        return None
    even = head[0::2].count(0)
    odd = head[1::2].count(0)
    half = len(head) // 2
    if odd > 0.4 * half and even < 0.05 * half:
        return "utf-16-le"
    if even > 0.4 * half and odd < 0.05 * half:
        return "utf-16-be"
    return None


def _looks_western(text: str) -> bool:
    """True unless most letters are non-ASCII (a non-Latin script in a single-byte code)."""
    sample = text[:65536]
    ascii_letters = sum(1 for ch in sample if ch.isascii() and ch.isalpha())
    other_letters = sum(1 for ch in sample if not ch.isascii() and ch.isalpha())
    return other_letters < 20 or other_letters < ascii_letters


def _guess_with_charset_normalizer(data: bytes) -> Decoded | None:
    try:
        from charset_normalizer import from_bytes
    except ImportError:  # pragma: no cover - a declared dependency
        return None
    best = from_bytes(data[:262144]).best()
    if best is None or best.encoding is None:
        return None
    try:
        return Decoded(data.decode(best.encoding), best.encoding, False, guessed=True)
    except (UnicodeDecodeError, LookupError):
        return None


def detect_delimiter(text: str) -> str:
    """The most consistent delimiter over the first records; "," when none is."""
    counts = _count_per_record(text)
    if not counts:
        return ","
    best: tuple[float, int, str] | None = None
    for delim in DELIMITERS:
        per_record = [c[delim] for c in counts]
        mode, _ = Counter(per_record).most_common(1)[0]
        if mode == 0:
            # Consistently absent; a delimiter present on most lines is still a candidate.
            nonzero = [n for n in per_record if n]
            if len(nonzero) * 2 <= len(per_record):
                continue
            mode, _ = Counter(nonzero).most_common(1)[0]
        score = sum(1 for n in per_record if n == mode) / len(per_record)
        key = (score, -_PREFERENCE[delim], delim)
        if best is None or key[:2] > best[:2]:
            best = key
    return "," if best is None else best[2]


def _count_per_record(text: str) -> list[Counter[str]]:
    """Delimiter counts outside quotes for each of the first records (the last, possibly
    cut-off record of a long text is left out)."""
    sample = text[:200_000]
    records: list[Counter[str]] = []
    current: Counter[str] = Counter()
    in_quotes = False
    blank = True
    for ch in sample:
        if ch == '"':
            in_quotes = not in_quotes
            blank = False
        elif in_quotes:
            continue
        elif ch == "\n" or ch == "\r":
            if not blank:
                records.append(current)
                if len(records) >= _SAMPLE_RECORDS:
                    return records
            current = Counter()
            blank = True
        elif ch in DELIMITERS:
            current[ch] += 1
            blank = False
        elif not ch.isspace():
            blank = False
    if not blank and (len(sample) == len(text) or not records):
        records.append(current)
    return records


def read_text_grid(
    path: Path,
    *,
    data: bytes | None = None,
    max_rows: int | None = None,
    progress: ProgressCallback = no_progress,
    cancel: CancelToken | None = None,
    encoding: str | None = None,
) -> Grid:
    """Reads a delimited text file into a Grid whose sheet is the file's stem.

    Args:
        path: the file (its name is used in messages and as Grid.source).
        data: the file's bytes when the caller already has them.
        max_rows: stop after this many non-blank records.
        encoding: the text's encoding (a Python codec name); None detects it. The grid
            says which was used (``Grid.encoding``, ``Grid.encoding_guessed``).

    Raises:
        SourceError: the file cannot be read as text.
        Cancelled: ``cancel`` was set.
    """
    source = printable(path.name)
    if data is None:
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise SourceError(
                f"{source} cannot be read ({exc.strerror or exc}); check that the file "
                "is not open elsewhere and that you may read it."
            ) from None
    decoded = decode_text(data, source, encoding)
    del data
    text = decoded.text
    notes: list[str] = []
    if decoded.guessed:
        notes.append(
            f"{source} has no byte-order mark and is not UTF-8: it was read as "
            f"{encoding_label(decoded.encoding)}, a guess; if letters look wrong, choose "
            "its encoding."
        )
    if "\x00" in text:
        text, nul_lines = _drop_nuls(text)
        notes.append(
            f"{source} holds NUL characters (on line{'s' if len(nul_lines) > 1 else ''} "
            f"{_line_list(nul_lines)}); they were left out; check those lines."
        )
    check_line_lengths(text, source)
    hint = _SEP_LINE.match(text)
    if hint:
        # Excel's "sep=;" first line names the delimiter; Excel hides the line itself.
        delimiter = hint.group(1)
        text = text[hint.end() :]
    else:
        delimiter = detect_delimiter(text)
    log.info("reading %s as text: encoding %s, delimiter %r", source, decoded.encoding, delimiter)
    total = len(text)
    # newline="": lines end at \r\n, \n or a lone \r (old Mac), untranslated, as csv wants.
    stream = io.StringIO(text, newline="")
    csv.field_size_limit(MAX_FIELD_CHARS)
    reader = csv.reader(stream, delimiter=delimiter, quotechar='"', doublequote=True, strict=False)
    rows: list[list[CellValue]] = []
    numbers: list[int] = []
    record = 0
    limit = max_rows if max_rows is not None else -1
    message = f"Reading {source}"
    progress(0, total, message)
    # Building a million small lists makes the cyclic GC run over and over for nothing.
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        for fields in reader:
            record += 1
            if not fields:
                continue
            row: list[CellValue] = fields  # type: ignore[assignment]
            if "" in row:  # empty fields become None
                blanks_to_none(row)
                if row.count(None) == len(row):
                    continue
            rows.append(row)
            numbers.append(record)
            if len(rows) % _CHUNK == 0:
                if cancel is not None:
                    cancel.raise_if_cancelled()
                progress(min(stream.tell(), total), total, message)
            if len(rows) == limit:
                break
    except csv.Error as exc:
        log.info("csv error in %s at record %d: %s", source, record + 1, exc)
        if "field larger than field limit" in str(exc):
            raise _long_field_error(text, delimiter, record + 1, source) from None
        raise SourceError(
            f"{source} cannot be read as text from row {record + 1} on ({exc}); open it in "
            "Excel and save it again as .xlsx."
        ) from None
    finally:
        if gc_was_enabled:
            gc.enable()
    progress(total, total, message)
    return Grid(
        source=source,
        sheet=printable(path.stem) or source,
        rows=rows,
        row_numbers=numbers,
        encoding=decoded.encoding,
        encoding_guessed=decoded.guessed,
        notes=notes,
    )


def check_line_lengths(text: str, source: str, limit: int = MAX_LINE_CHARS) -> None:
    """Refuses a text with a line longer than ``limit`` characters, naming the line.

    Each step looks for the last line break in the next ``limit + 1`` characters and jumps
    past it, so a normal file costs one pass of ``str.rfind`` over each window.
    """
    n = len(text)
    pos = 0
    while n - pos > limit:
        end = pos + limit + 1
        cut = text.rfind("\n", pos, end)
        if cut == -1:  # old Mac files end lines with a lone CR
            cut = text.rfind("\r", pos, end)
        if cut == -1:
            breaks = "\n" if "\n" in text else "\r"
            line = text.count(breaks, 0, pos) + 1
            raise SourceError(
                f"Line {line:,} of {source} is longer than {limit:,} characters without a "
                "line break, more than any usage record can be (Zuora takes at most "
                f"{MAX_LINE_CHARS // 2**20} MB in one call); check that this is the right "
                "file, or save it again as CSV from the program that made it."
            )
        pos = cut + 1


def _long_field_error(text: str, delimiter: str, record: int, source: str) -> SourceError:
    """The sentence for a field over :data:`MAX_FIELD_CHARS` in ``record`` (1-based), naming
    its column when a second look (fields up to one line's limit) finds it."""
    from zmed_gui.core.table import column_letter

    where = f"Row {record:,}"
    csv.field_size_limit(MAX_LINE_CHARS)
    try:
        reader = csv.reader(
            io.StringIO(text, newline=""), delimiter=delimiter, quotechar='"', strict=False
        )
        for number, fields in enumerate(reader, 1):
            if number == record:
                wide = [i for i, f in enumerate(fields) if len(f) > MAX_FIELD_CHARS]
                if wide:
                    where = f"Row {record:,}, column {column_letter(wide[0])}"
                break
    except csv.Error:
        pass  # longer still: the row is all that can be said
    finally:
        csv.field_size_limit(MAX_FIELD_CHARS)
    return SourceError(
        f"{where} of {source} holds more than {MAX_FIELD_CHARS:,} characters, more than a "
        'spreadsheet cell can hold and more than any usage value needs; a quote (") that is '
        "opened but never closed is the usual cause: check that row, correct it and save "
        "the file again."
    )


def _drop_nuls(text: str) -> tuple[str, list[int]]:
    """The text without NUL characters, and the (1-based) lines that held them."""
    lines: list[int] = []
    pos = text.find("\x00")
    line = 1
    last = 0
    while pos != -1:
        line += text.count("\n", last, pos)
        last = pos
        if not lines or lines[-1] != line:
            lines.append(line)
        pos = text.find("\x00", pos + 1)
    return text.replace("\x00", ""), lines


def _line_list(lines: list[int]) -> str:
    shown = ", ".join(str(n) for n in lines[:5])
    return shown + (f" and {len(lines) - 5} more" if len(lines) > 5 else "")
