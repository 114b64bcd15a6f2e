"""What an upload did with each row, in the report's words (no openpyxl: the upload
engine and the command line load this without the xlsx writer)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from zmed_gui.core.validate import RowStatus


class RowOutcome(StrEnum):
    """What happened to a row in an upload, in the words of the report."""

    ACCEPTED = "accepted"  # received by Zuora
    REJECTED = "rejected"
    UNCERTAIN = "uncertain"
    SKIPPED = "skipped (already sent)"
    NOT_SENT = "not sent"


UPLOAD_STATUSES = tuple(RowOutcome)


@dataclass
class RowUpload:
    """The fate of one row in an upload (filled by the upload engine)."""

    status: RowOutcome
    message: str = ""
    request_id: str | None = None


# Problem codes in the words the report's readers use (a code not listed reads as words too).
PROBLEM_WORDS = {
    "missing": "Empty required cell",
    "unparseable": "Not readable as the field's type",
    "invalid_date": "Not a real date",
    "not_whole": "Not a whole number",
    "wrong_type": "Wrong kind of value",
    "excel_error": "Excel error in the cell",
    "future_date": "Date in the future",
    "date_outside_period": "Date outside the period",
    "negative": "Negative number",
    "ambiguous_number": "Number readable two ways",
    "duplicate": "Duplicate row",
}

LEFT_OUT_REASON = "Left out by you in Review"
_STATUS_TEXT = {s: s.value for s in RowStatus}  # quicker than the enum's .value property


def problem_words(code: str) -> str:
    """A problem code as words: ``"unparseable"`` -> ``"Not readable as the field's type"``."""
    words = PROBLEM_WORDS.get(code)
    return words if words is not None else code.replace("_", " ").capitalize()


def shown_value(value: Any) -> str:
    """A cell value as a sentence quotes it (``5``, ``"abc"``, ``empty``)."""
    if value is None or value == "":
        return "empty"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, dt.datetime) and value.time() == dt.time(0, 0):
        return value.date().isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value)
