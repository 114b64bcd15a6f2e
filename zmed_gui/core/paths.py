"""The app's name and the user folders it keeps its files in (platformdirs, created on demand).

One place for them: settings, connections, profiles, the journal, backups and the log all
ask here, so a test (or a portable install) that moves one moves them all.
"""

from __future__ import annotations

from pathlib import Path

import platformdirs

APP_NAME = "zmed-gui"


def _made(path: str) -> Path:
    p = Path(path)
    p.mkdir(parents=True, exist_ok=True)
    return p


def user_config_dir() -> Path:
    """Where settings and saved connections live."""
    return _made(platformdirs.user_config_dir(APP_NAME, appauthor=False))


def user_data_dir() -> Path:
    """Where mapping profiles, the upload journal and its backups live."""
    return _made(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def user_log_dir() -> Path:
    """Where the log file lives."""
    return _made(platformdirs.user_log_dir(APP_NAME, appauthor=False))


def default_journal_path() -> Path:
    """``journal.sqlite3`` in the user data folder (the folder is not created here)."""
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)) / "journal.sqlite3"
