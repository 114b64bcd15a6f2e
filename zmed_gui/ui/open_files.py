"""Which files the app opens (dialog filter, drops); the recent files and folder it keeps."""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QMimeData

from zmed_gui.core.settings import MAX_RECENT_FILES, Settings
from zmed_gui.ui import jobs, settings_store

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
    """Recently opened files, newest first (from memory: the settings are read at start)."""
    return list(settings_store.current().recent_files)


def last_directory() -> str:
    return settings_store.current().last_directory


def remember_file(path: Path) -> None:
    """Put ``path`` first in the recent files and remember its folder for the next dialog.

    The path is resolved in a job (that touches the disk); the settings are written soon
    after, in another.
    """

    def resolve(_progress: object, _cancel: object) -> str:
        return str(Path(path).resolve())

    def remember(text: str) -> None:
        def change(settings: Settings) -> None:
            # Settings.add_recent_file would resolve the path again, here on the GUI thread.
            recent = [text, *(p for p in settings.recent_files if p != text)]
            settings.recent_files = recent[:MAX_RECENT_FILES]
            settings.last_directory = str(Path(text).parent)

        settings_store.update(change)

    jobs.run(resolve, finished=remember)


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
