"""Reading a user's JSON file (schema, profile) with one clear sentence when it cannot be."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from zmed_gui.core.errors import OptionsError
from zmed_gui.core.filekind import kind_sentence, open_regular

# Schemas, profiles and meter definitions are a few kilobytes; a real meter export with
# many versions stays far below this. Anything bigger is not one of them.
MAX_JSON_FILE_BYTES = 10 * 1024 * 1024


def read_json_file(path: Path, what: str, *, max_bytes: int = MAX_JSON_FILE_BYTES) -> Any:
    """Parse ``path`` as JSON (a UTF-8 BOM is allowed); ``what`` names it, e.g. "schema file".

    Bounded: only a regular file is read (a folder, device, FIFO or socket is a sentence,
    and a FIFO never blocks), a file over ``max_bytes`` is refused unread, and nesting too
    deep for the parser is a sentence, not a RecursionError.

    Raises:
        OptionsError: the file cannot be read, is not a regular file, is too big or is not
            valid JSON, saying where.
    """
    try:
        fh, st = open_regular(path)
        if fh is None:
            assert isinstance(st, str)
            raise OptionsError(kind_sentence(f"The {what} {path}", st, f"choose the {what}"))
        with fh:
            assert isinstance(st, os.stat_result)
            raw = b"" if st.st_size > max_bytes else fh.read(max_bytes + 1)
    except OSError as exc:
        raise OptionsError(f"Cannot read the {what} {path}: {exc.strerror or exc}.") from exc
    if st.st_size > max_bytes or len(raw) > max_bytes:
        raise OptionsError(
            f"The {what} {path.name} is larger than {max_bytes // (1024 * 1024)} MB, so it "
            f"cannot be a {what}; choose the right file."
        )
    try:
        return parse_json_bytes(raw, f"The {what} {path.name}")
    except OptionsError as exc:
        exc.details = "\n".join(d for d in (f"File: {path}", exc.details) if d)
        raise


# What Python's JSON parser says it expected, in words a user can act on.
_EXPECTED: tuple[tuple[str, str], ...] = (
    ("Expecting ',' delimiter", "a comma (,) between two items, or the closing bracket"),
    ("Expecting ':' delimiter", "a colon (:) between a name and its value"),
    (
        "Expecting property name enclosed in double quotes",
        'a name in double quotes ("name"); a comma after the last item is not allowed',
    ),
    ("Expecting value", "a value: a number, text in double quotes, true, false, null, [ or {"),
    ("Extra data", "the end of the file: something follows the JSON's last closing bracket"),
    ("Unterminated string", 'a closing double quote (") before the end of the line'),
    ("Invalid control character", "no line break or tab inside text in double quotes"),
    ("Invalid \\escape", 'a backslash only before \\, ", /, b, f, n, r, t or u'),
    ("Invalid \\uXXXX escape", "four hexadecimal digits after \\u"),
)


def _expected(exc: json.JSONDecodeError) -> str:
    return next((words for said, words in _EXPECTED if exc.msg.startswith(said)), exc.msg)


def _json_details(exc: json.JSONDecodeError) -> str:
    """Line, column, what was expected and the text there: for Show Details."""
    expected = _expected(exc)
    # split("\n"), not splitlines(): a file cut off after a line break ends on an empty
    # line the error points at (the walk's truncated file raised IndexError here)
    lines = exc.doc.split("\n")
    line = lines[exc.lineno - 1] if 0 < exc.lineno <= len(lines) else ""
    start = max(0, exc.colno - 40)
    there = line[start : exc.colno + 20].strip()
    out = [f"Line {exc.lineno}, column {exc.colno}", f"Expected: {expected}"]
    if there:
        out.append(f"The text there: {there[:80]}")
    return "\n".join(out)


def parse_json_bytes(raw: bytes, origin: str) -> Any:
    """Parse JSON bytes (UTF-8, BOM allowed); ``origin`` starts each sentence, e.g.
    "The schema file x.json".

    Raises:
        OptionsError: not UTF-8, not valid JSON, or nested too deeply to parse.
    """
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise OptionsError(
            f"{origin} is not UTF-8 text (byte {exc.start + 1} cannot be read); save it as "
            "UTF-8 JSON."
        ) from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        err = OptionsError(
            f"{origin} is not valid JSON (line {exc.lineno}, column {exc.colno}: expected "
            f"{_expected(exc)}); correct it in a text editor or choose another file."
        )
        err.details = _json_details(exc)
        raise err from exc
    except RecursionError:
        raise OptionsError(
            f"{origin} nests its JSON too deeply to be read; it cannot be a file this app writes "
            "or Zuora exports."
        ) from None


def write_json_atomic(path: Path, data: Any) -> None:
    """Write ``data`` as JSON to ``path`` through a temporary file and ``os.replace``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            json.dump(data, fh, indent=2, ensure_ascii=False)
            fh.write("\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
