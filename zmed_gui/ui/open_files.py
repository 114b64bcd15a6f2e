"""Which files the app opens (dialog filter, drops); the recent files and folder it keeps."""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QMimeData

from zmed_gui.core.settings import load_settings, save_settings

log = logging.getLogger(__name__)

FALLBACK_EXTENSIONS = (".xlsx", ".xlsm", ".xls", ".xlsb", ".ods", ".csv", ".tsv", ".txt")


def supported_extensions() -> tuple[str, ...]:
    try:
        from zmed_gui.core.read import SUPPORTED_EXTENSIONS

        return tuple(SUPPORTED_EXTENSIONS)
    except ImportError:
        return FALLBACK_EXTENSIONS


def file_dialog_filter() -> str:
    patterns = " ".join(f"*{ext}" for ext in supported_extensions())
    return f"Spreadsheets ({patterns});;All files (*)"


def recent_files() -> list[str]:
    """Recently opened files that still exist, newest first."""
    try:
        return list(load_settings().recent_files)
    except Exception:  # settings must never stop the window from working
        log.exception("cannot read recent files")
        return []


def last_directory() -> str:
    try:
        return load_settings().last_directory
    except Exception:
        log.exception("cannot read settings")
        return ""


def remember_file(path: Path) -> None:
    """Put ``path`` first in the recent files and remember its folder for the next dialog."""
    try:
        settings = load_settings()
        settings.add_recent_file(path)
        settings.last_directory = str(Path(path).resolve().parent)
        save_settings(settings)
    except Exception:  # a read-only config folder must not stop the user's work
        log.exception("cannot save recent files")


def dropped_file(mime: QMimeData | None) -> Path | None:
    """The first local spreadsheet (or any existing file) in dragged data, if any."""
    if mime is None or not mime.hasUrls():
        return None
    for url in mime.urls():
        if url.isLocalFile():
            path = Path(url.toLocalFile())
            if path.suffix.lower() in supported_extensions() or path.is_file():
                return path
    return None
