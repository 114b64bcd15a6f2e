"""Reading a user's JSON file (schema, profile) with one clear sentence when it cannot be."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from zmed_gui.core.errors import OptionsError


def read_json_file(path: Path, what: str) -> Any:
    """Parse ``path`` as JSON (a UTF-8 BOM is allowed); ``what`` names it, e.g. "schema file".

    Raises:
        OptionsError: the file cannot be read or is not valid JSON, saying where.
    """
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise OptionsError(f"Cannot read the {what} {path}: {exc.strerror or exc}.") from exc
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise OptionsError(
            f"The {what} {path.name} is not valid JSON (line {exc.lineno}, "
            f"column {exc.colno}: {exc.msg})."
        ) from exc


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
