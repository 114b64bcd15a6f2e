from __future__ import annotations

from zmed_gui.ui.numbers import count, counted, decimal


def test_counts_are_written_by_the_system_locale(qapp: object) -> None:
    from PySide6.QtCore import QLocale

    text = count(1234567)
    assert "".join(ch for ch in text if ch.isdigit()) == "1234567"
    if QLocale.system().language() != QLocale.Language.C:
        assert text == QLocale.system().toString(1234567)


def test_counted_agrees_in_number(qapp: object) -> None:
    assert counted(1, "row") == "1 row"
    assert counted(0, "row") == "0 rows"
    assert counted(2, "entry", "entries") == "2 entries"


def test_decimal_has_the_places_asked(qapp: object) -> None:
    text = decimal(1234.5)
    assert "".join(ch for ch in text if ch.isdigit()) == "123450"


def test_the_c_locale_writes_english_grouping_like_core() -> None:
    """Under LANG=C.UTF-8 QLocale.system() is the C locale, which wrote "300000" while
    core's sentences write "300,000": the window then uses English grouping too."""
    import os
    import subprocess
    import sys

    code = (
        "from zmed_gui.ui.numbers import count, counted, decimal;"
        "print(count(300000), counted(1234, 'row'), decimal(1234.5), sep='|')"
    )
    env = {**os.environ, "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8"}
    env.pop("LANGUAGE", None)
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == f"{300000:,}|1,234 rows|1,234.50"
