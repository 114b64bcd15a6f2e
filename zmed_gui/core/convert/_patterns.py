"""Writing date-times the way a meter asks: Java date patterns and ``epoch_ms``.

A meter's definition may name the format of its event time (``timeFormat``) or of a field
its usage target reads (``dateFormat``): a Java pattern such as
``yyyy-MM-dd'T'HH:mm:ss'Z'`` or the word ``epoch_ms``. :func:`parse_date_format` turns one
into a :class:`DateFormat` that writes an aware datetime that way.

The letters understood are those of Mediation's default patterns and their usual kin:
``yyyy`` (or ``uuuu``), ``M``/``MM``, ``d``/``dd``, ``H``/``HH``, ``m``/``mm``,
``s``/``ss``, ``SSS`` (milliseconds), ``Z`` (offset as ``+0100``) and ``XXX`` (offset as
``+01:00``, ``Z`` for UTC); text in single quotes is literal (``''`` is one quote), as is
any other character that is not a letter. Anything else (two-digit years, month names,
12-hour clocks, optional sections) is refused with a sentence rather than guessed at.

How the zone is chosen:

- a pattern with an offset letter writes the time with its offset (a naive time takes the
  chosen time zone; text with its own offset keeps it, as the RFC 3339 format does);
- a pattern with a quoted ``'Z'`` (or ``'UTC'``, ``'GMT'``) claims UTC, so the time is
  converted to UTC first: writing a Berlin wall-clock time followed by a literal Z would
  shift every event by an hour or two;
- any other pattern writes the wall-clock time in the chosen time zone.

``epoch_ms`` writes integer milliseconds since 1970-01-01T00:00:00Z as a JSON *number*:
it is a count, not text, and Zuora's own epoch values (the audit trail's ``errorTime``)
are whole milliseconds. An integer below 2**53 (until the year 287396) survives every JSON
parser exactly, where a float or a decimal fraction would invite rounding. Whether
Mediation also reads the number written as a string is not published.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

from zmed_gui.core.errors import OptionsError

EPOCH_MS = "epoch_ms"
MAX_PATTERN_LENGTH = 100
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_UTC_LITERALS = ("Z", "UTC", "GMT")
_RESERVED = "[]{}#"


class ZoneStyle(Enum):
    OFFSET = "offset"  # the pattern writes an offset
    UTC = "utc"  # the pattern carries a literal Z: the time must be in UTC
    LOCAL = "local"  # no zone in the pattern: the chosen zone's wall clock


Piece = Callable[[dt.datetime], str]


def _two(n: int) -> str:
    return f"{n:02d}"


def _offset(when: dt.datetime, colon: bool, z_for_utc: bool) -> str:
    seconds = int((when.utcoffset() or dt.timedelta(0)).total_seconds())
    if z_for_utc and not seconds:
        return "Z"
    sign = "-" if seconds < 0 else "+"
    hours, minutes = divmod(abs(seconds) // 60, 60)  # old local mean times had seconds: dropped
    return f"{sign}{hours:02d}{':' if colon else ''}{minutes:02d}"


_LETTERS: dict[tuple[str, int], tuple[Piece, bool]] = {
    # (letter, count) -> (writer, is a time of day part)
    ("y", 4): (lambda w: f"{w.year:04d}", False),
    ("u", 4): (lambda w: f"{w.year:04d}", False),
    ("M", 1): (lambda w: str(w.month), False),
    ("M", 2): (lambda w: _two(w.month), False),
    ("d", 1): (lambda w: str(w.day), False),
    ("d", 2): (lambda w: _two(w.day), False),
    ("H", 1): (lambda w: str(w.hour), True),
    ("H", 2): (lambda w: _two(w.hour), True),
    ("m", 1): (lambda w: str(w.minute), True),
    ("m", 2): (lambda w: _two(w.minute), True),
    ("s", 1): (lambda w: str(w.second), True),
    ("s", 2): (lambda w: _two(w.second), True),
    ("S", 3): (lambda w: f"{w.microsecond // 1000:03d}", True),
}
_OFFSETS: dict[tuple[str, int], Piece] = {
    ("Z", 1): lambda w: _offset(w, colon=False, z_for_utc=False),
    ("Z", 2): lambda w: _offset(w, colon=False, z_for_utc=False),
    ("Z", 3): lambda w: _offset(w, colon=False, z_for_utc=False),
    ("X", 3): lambda w: _offset(w, colon=True, z_for_utc=True),
}
_KNOWN = "yyyy, MM, dd, HH, mm, ss, SSS, Z or XXX"


def _why_not(letter: str, count: int) -> str:
    run = letter * count
    if letter == "y" and count == 2:
        return f"'{run}' is a two-digit year, which could be 1926 or 2026; use yyyy"
    if letter == "M" and count >= 3:
        return f"'{run}' is a month name; use MM for the month number"
    if letter in "hKka":
        return f"'{run}' is part of a 12-hour clock; use HH for the hour from 00 to 23"
    if letter == "S":
        return f"'{run}' is a fraction of a second with {count} digits; use SSS (milliseconds)"
    return f"'{run}' is not a pattern letter this app can write; use {_KNOWN}"


@dataclass(frozen=True)
class DateFormat:
    """A compiled date format (a Java pattern or ``epoch_ms``); see :func:`parse_date_format`.

    ``write`` takes an aware datetime and returns the event value: text, or an ``int`` for
    ``epoch_ms``.
    """

    text: str
    pieces: tuple[Piece, ...] = ()
    zone: ZoneStyle = ZoneStyle.LOCAL
    has_time: bool = False
    epoch_ms: bool = False

    def write(self, when: dt.datetime) -> str | int:
        """``when`` (aware) the way the pattern asks; LOCAL writes ``when``'s own wall clock."""
        if self.epoch_ms:
            delta = when - _EPOCH
            return (delta.days * 86_400 + delta.seconds) * 1000 + delta.microseconds // 1000
        if self.zone is ZoneStyle.UTC:
            when = when.astimezone(dt.UTC)
        return "".join([piece(when) for piece in self.pieces])

    @property
    def needs_instant(self) -> bool:
        """True when the written value pins an instant (so a zone's gaps matter)."""
        return self.epoch_ms or self.has_time or self.zone is not ZoneStyle.LOCAL


def _literal(text: str) -> Piece:
    return lambda _w: text


def parse_date_format(text: str) -> DateFormat:
    """``epoch_ms`` or a Java date pattern -> a :class:`DateFormat`.

    Raises:
        OptionsError: the pattern uses something this app cannot write, saying what.
    """
    if not isinstance(text, str) or not text.strip():
        raise OptionsError("A date format must be a Java pattern such as yyyy-MM-dd'T'HH:mm:ssZ.")
    if len(text) > MAX_PATTERN_LENGTH:
        raise OptionsError(
            f"The date format '{text[:40]}...' is {len(text)} characters long; a date pattern "
            f"has at most {MAX_PATTERN_LENGTH}."
        )
    if text.strip().casefold() == EPOCH_MS:
        return DateFormat(EPOCH_MS, epoch_ms=True, has_time=True, zone=ZoneStyle.UTC)
    pieces: list[Piece] = []
    literal: list[str] = []
    has_time = has_year = has_offset = utc_literal = False
    i, n = 0, len(text)

    def flush() -> None:
        if literal:
            pieces.append(_literal("".join(literal)))
            literal.clear()

    while i < n:
        ch = text[i]
        if ch == "'":
            if text.startswith("''", i):
                literal.append("'")
                i += 2
                continue
            end = text.find("'", i + 1)
            while end != -1 and text.startswith("''", end):
                end = text.find("'", end + 2)
            if end == -1:
                raise OptionsError(
                    f"The date format '{text}' opens a quote it never closes; write literal "
                    "text in single quotes, such as 'T'."
                )
            quoted = text[i + 1 : end].replace("''", "'")
            utc_literal = utc_literal or quoted.strip() in _UTC_LITERALS
            literal.append(quoted)
            i = end + 1
            continue
        if ch.isascii() and ch.isalpha():
            count = 1
            while i + count < n and text[i + count] == ch:
                count += 1
            flush()
            if (ch, count) in _LETTERS:
                piece, is_time = _LETTERS[ch, count]
                has_time = has_time or is_time
                has_year = has_year or ch in "yu"
                pieces.append(piece)
            elif (ch, count) in _OFFSETS:
                has_offset = True
                pieces.append(_OFFSETS[ch, count])
            else:
                raise OptionsError(
                    f"The date format '{text}' cannot be used: {_why_not(ch, count)}."
                )
            i += count
            continue
        if ch in _RESERVED:
            raise OptionsError(
                f"The date format '{text}' uses '{ch}', which this app does not write (optional "
                "sections and the like); give one fixed pattern."
            )
        literal.append(ch)
        i += 1
    flush()
    if not has_year:
        raise OptionsError(
            f"The date format '{text}' writes no year (yyyy); a usage date needs one."
        )
    zone = ZoneStyle.OFFSET if has_offset else ZoneStyle.UTC if utc_literal else ZoneStyle.LOCAL
    return DateFormat(text, tuple(pieces), zone, has_time)
