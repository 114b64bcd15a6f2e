from __future__ import annotations

from zmed_gui.ui.numbers import count, counted, decimal


def test_counts_are_written_by_the_system_locale(qapp: object) -> None:
    from PySide6.QtCore import QLocale

    text = count(1234567)
    assert "".join(ch for ch in text if ch.isdigit()) == "1234567"
    assert text == QLocale.system().toString(1234567)


def test_counted_agrees_in_number(qapp: object) -> None:
    assert counted(1, "row") == "1 row"
    assert counted(0, "row") == "0 rows"
    assert counted(2, "entry", "entries") == "2 entries"


def test_decimal_has_the_places_asked(qapp: object) -> None:
    text = decimal(1234.5)
    assert "".join(ch for ch in text if ch.isdigit()) == "123450"
