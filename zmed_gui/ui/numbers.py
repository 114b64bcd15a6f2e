"""Numbers and counts as the window writes them: one way, by the system locale.

Every count the window shows goes through :func:`count` or :func:`counted`, so "1,234" (or
"1.234", "1 234", as the user's locale writes it) looks the same on every step, and a count
of one reads "1 row", never "1 rows". The C locale (``LANG=C.UTF-8``) writes no grouping at
all ("300000"), so there the window writes English grouping, as core's sentences do
("300,000").
"""

from __future__ import annotations

from PySide6.QtCore import QLocale


def _locale() -> QLocale:
    """The system locale, or English where the system's is the C locale."""
    system = QLocale.system()
    if system.language() == QLocale.Language.C:
        return QLocale(QLocale.Language.English, QLocale.Country.UnitedStates)
    return system


def count(n: int) -> str:
    """``n`` with the system locale's digit grouping."""
    return _locale().toString(int(n))


def counted(n: int, singular: str, plural: str | None = None) -> str:
    """``"1 row"``, ``"1,234 rows"``: the count and the noun that agrees with it."""
    noun = singular if n == 1 else (plural if plural is not None else singular + "s")
    return f"{count(n)} {noun}"


def decimal(x: float, places: int = 2) -> str:
    """A decimal number with the locale's grouping and decimal mark."""
    return _locale().toString(float(x), "f", places)
