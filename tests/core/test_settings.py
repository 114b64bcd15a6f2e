"""Settings: defaults, round trip, damaged files, recent files, and no secrets on disk."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from zmed_gui.core.convert import DateOrder, DateTimeFormat
from zmed_gui.core.paths import user_config_dir, user_data_dir, user_log_dir
from zmed_gui.core.settings import (
    Settings,
    load_settings,
    save_settings,
    settings_path,
)


def test_dirs_are_created_under_the_xdg_dirs(_isolated_user_dirs: Path) -> None:
    for directory, sub in (
        (user_config_dir(), "config"),
        (user_data_dir(), "data"),
        (user_log_dir(), "state"),
    ):
        assert directory.is_dir()
        assert "zmed-gui" in directory.parts
        assert directory.is_relative_to(_isolated_user_dirs / sub)


def test_missing_file_gives_defaults() -> None:
    assert load_settings() == Settings()


def test_round_trip(tmp_path: Path) -> None:
    data_file = tmp_path / "usage.xlsx"
    data_file.write_bytes(b"x")
    s = Settings(
        default_timezone="Europe/Berlin",
        default_date_order=DateOrder.DMY,
        datetime_format=DateTimeFormat.RFC3339_UTC,
        decimal_comma=True,
        last_connection="Production EU",
        last_directory=str(tmp_path),
        window_geometry="AdnQywADAAAAAAA=",
        window_state="AAAA/wAAAAD9AAAA",
        batch_size=500,
        concurrency=2,
        gzip=False,
    )
    s.add_recent_file(data_file)
    save_settings(s)
    assert load_settings() == s
    raw = json.loads(settings_path().read_text(encoding="utf-8"))
    assert raw["default_date_order"] == "DMY" and raw["datetime_format"] == "rfc3339-utc"


def test_recent_files_newest_first_max_ten_missing_dropped(tmp_path: Path) -> None:
    s = Settings()
    files = []
    for i in range(12):
        f = tmp_path / f"m{i}.csv"
        f.write_text("a\n")
        files.append(f)
        s.add_recent_file(f)
    s.add_recent_file(files[3])  # opened again: moves to the top, no duplicate
    assert len(s.recent_files) == 10
    assert s.recent_files[0] == str(files[3].resolve())
    assert s.recent_files[1] == str(files[11].resolve())
    save_settings(s)
    files[11].unlink()
    loaded = load_settings()
    assert str(files[11].resolve()) not in loaded.recent_files
    assert len(loaded.recent_files) == 9


@pytest.mark.parametrize("content", ["{not json", "[1, 2]", "", '{"batch_size": "lots"}'])
def test_damaged_file_is_logged_and_replaced_by_defaults(
    content: str, caplog: pytest.LogCaptureFixture
) -> None:
    settings_path().write_text(content, encoding="utf-8")
    with caplog.at_level("WARNING"):
        s = load_settings()
    assert s == Settings()
    assert caplog.records  # the user can find out why their settings were reset
    save_settings(s)  # and the app can carry on saving
    assert load_settings() == s


def test_one_bad_value_keeps_the_others() -> None:
    settings_path().write_text(
        json.dumps({"concurrency": -3, "default_timezone": "Asia/Tokyo", "datetime_format": "?"}),
        encoding="utf-8",
    )
    s = load_settings()
    assert s.default_timezone == "Asia/Tokyo"
    assert s.concurrency == Settings().concurrency
    assert s.datetime_format is DateTimeFormat.RFC3339_OFFSET


def test_save_is_atomic_and_leaves_no_temp_files() -> None:
    save_settings(Settings(default_timezone="UTC"))
    save_settings(Settings(default_timezone="Europe/Paris"))
    names = os.listdir(settings_path().parent)
    assert names == ["settings.json"]


def test_save_fails_cleanly_keeping_the_old_file(monkeypatch: pytest.MonkeyPatch) -> None:
    save_settings(Settings(default_timezone="UTC"))

    def broken_replace(src: str, dst: str) -> None:
        raise OSError("disk full")

    with monkeypatch.context() as m, pytest.raises(OSError):
        m.setattr(os, "replace", broken_replace)
        save_settings(Settings(default_timezone="Europe/Paris"))
    assert load_settings().default_timezone == "UTC"
    assert os.listdir(settings_path().parent) == ["settings.json"]


def test_conversion_options_come_from_the_defaults() -> None:
    s = Settings(default_timezone="UTC", default_date_order=DateOrder.MDY, decimal_comma=True)
    opts = s.conversion_options()
    assert (opts.timezone, opts.date_order, opts.decimal_comma) == ("UTC", DateOrder.MDY, True)


_SECRETISH = re.compile(r"secret|token|password|passwd|credential|api.?key|bearer", re.I)


def test_settings_have_no_field_for_secrets() -> None:
    assert not [name for name in Settings.__dataclass_fields__ if _SECRETISH.search(name)]


def test_a_save_never_writes_anything_that_looks_like_a_secret(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import keyring

    secret = "Zu0ra-Cl1ent-S3cret-0123456789abcdef"
    monkeypatch.setenv("ZMED_CLIENT_SECRET", secret)
    keyring.set_password("zmed-gui", "Production EU", secret)
    s = Settings(last_connection="Production EU", default_timezone="UTC")
    save_settings(s)
    text = settings_path().read_text(encoding="utf-8")
    assert secret not in text
    assert not _SECRETISH.search(text)
    assert not re.search(r"\b[0-9a-f]{32,}\b|eyJ[A-Za-z0-9_-]{10,}", text)
