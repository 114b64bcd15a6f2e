"""User settings kept as JSON in the user's config directory.

Nothing secret lives here: client secrets and tokens go to the OS keyring only. The
settings hold names (``last_connection``), paths and preferences.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from zmed_gui.core.convert import ConversionOptions, DateOrder, DateTimeFormat
from zmed_gui.core.jsonfile import write_json_atomic
from zmed_gui.core.paths import user_config_dir

SETTINGS_FILE = "settings.json"
MAX_RECENT_FILES = 10

log = logging.getLogger(__name__)


def settings_path() -> Path:
    return user_config_dir() / SETTINGS_FILE


@dataclass
class Settings:
    """Everything the app remembers between runs. No field may ever hold a secret."""

    recent_files: list[str] = field(default_factory=list)  # newest first
    default_timezone: str = ""  # IANA name; "" = the computer's zone
    default_date_order: DateOrder | None = None  # None = infer per column
    datetime_format: DateTimeFormat = DateTimeFormat.RFC3339_OFFSET
    decimal_comma: bool = False
    last_connection: str = ""  # the connection profile's name, never its secret
    last_directory: str = ""
    window_geometry: str = ""  # base64 of QMainWindow.saveGeometry()
    window_state: str = ""  # base64 of QMainWindow.saveState()
    batch_size: int = 1000  # events per call
    concurrency: int = 4  # calls in flight
    gzip: bool = True
    theme: str = ""  # the window's look: "" (the system's), "light" or "dark"

    def add_recent_file(self, path: Path | str) -> None:
        """Put ``path`` first in the recent files, keeping at most 10 and no duplicates."""
        text = str(Path(path).resolve())
        self.recent_files = [text, *(p for p in self.recent_files if p != text)]
        del self.recent_files[MAX_RECENT_FILES:]

    def conversion_options(self) -> ConversionOptions:
        """The conversion defaults a newly opened file starts with."""
        return ConversionOptions(
            timezone=self.default_timezone,
            date_order=self.default_date_order,
            decimal_comma=self.decimal_comma,
            datetime_format=self.datetime_format,
        )

    def to_json(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["default_date_order"] = (
            self.default_date_order.value if self.default_date_order is not None else None
        )
        data["datetime_format"] = self.datetime_format.value
        return data


def _coerce(name: str, value: Any, default: Any) -> Any:
    """One setting from JSON, or raise ValueError when its type is wrong."""
    if name == "recent_files":
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ValueError("not a list of paths")
        return value
    if name == "default_date_order":
        return None if value is None else DateOrder(value)
    if name == "datetime_format":
        return DateTimeFormat(value)
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise ValueError("not true or false")
        return value
    if isinstance(default, int):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError("not a positive whole number")
        return value
    if not isinstance(value, str):
        raise ValueError("not text")
    return value


def settings_from_json(data: Any) -> Settings:
    """Settings from parsed JSON; a bad value falls back to its default (and is logged)."""
    settings = Settings()
    if not isinstance(data, dict):
        log.warning("Settings file does not hold a JSON object; using defaults.")
        return settings
    for f in dataclasses.fields(Settings):
        if f.name not in data:
            continue
        try:
            setattr(settings, f.name, _coerce(f.name, data[f.name], getattr(settings, f.name)))
        except ValueError as exc:
            log.warning("Setting %s has an unusable value (%s); using the default.", f.name, exc)
    # A file that was moved or deleted since is no use in the Recent menu.
    settings.recent_files = [p for p in settings.recent_files if Path(p).is_file()][
        :MAX_RECENT_FILES
    ]
    return settings


def load_settings() -> Settings:
    """The saved settings, or defaults; a damaged file is logged and replaced, never fatal."""
    path = settings_path()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Settings()
    except OSError as exc:
        log.warning("Cannot read settings %s (%s); using defaults.", path, exc)
        return Settings()
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        log.warning("Settings file %s is damaged (%s); starting from defaults.", path, exc)
        _set_aside(path)
        return Settings()
    return settings_from_json(data)


def _set_aside(path: Path) -> None:
    """Keep a damaged settings file next to the new one, for whoever wants to look."""
    try:
        os.replace(path, path.with_name(path.name + ".damaged"))
    except OSError:
        log.exception("Could not move the damaged settings file aside.")


def save_settings(settings: Settings) -> None:
    """Write the settings atomically: a crash mid-write leaves the old file intact."""
    write_json_atomic(settings_path(), settings.to_json())
