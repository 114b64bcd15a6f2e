"""Converting every mapped cell and reporting each problem on its cell."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Severity(StrEnum):
    ERROR = "error"  # the row is invalid and will not be sent
    WARNING = "warning"  # the row is sent, but the user should look


class RowStatus(StrEnum):
    VALID = "valid"
    WARNING = "warning"
    INVALID = "invalid"
    EXCLUDED = "excluded"  # the user chose not to send this row


@dataclass(frozen=True, slots=True)
class Issue:
    """One problem on one cell (or on a row, when ``column`` is None).

    ``row`` is the 0-based data row index in the table; the Excel row number is
    ``table.row_numbers[row]``. ``message`` is a full sentence for the user.
    """

    row: int
    column: int | None
    field: str | None
    code: str
    message: str
    severity: Severity
