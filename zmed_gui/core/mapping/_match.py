"""Which source column (or constant) feeds each event field.

Data types live here; automatic matching and mapping profiles are built on them.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from rapidfuzz import fuzz

from zmed_gui.core.errors import OptionsError
from zmed_gui.core.mapping._rowid import ROW_ID
from zmed_gui.core.schema import FieldType, Schema, SchemaField
from zmed_gui.core.table import CellValue, Table, column_letter


@dataclass
class FieldSource:
    """Where one event field takes its value from.

    Exactly one of ``column``, ``constant`` or ``generated`` is set for a mapped field. A
    date or date-time field may add ``time_column``: a separate column holding the time of
    day. ``generated`` names a value the app makes for each row: :data:`ROW_ID`
    (``"row-id"``) is a stable ID per row for a meter's event-ID field (see
    :func:`zmed_gui.core.mapping.row_id`). ``confidence`` is the automatic matcher's score
    in 0..1, or None when the user chose (or the matcher filled an event-ID field).
    """

    column: int | None = None
    constant: str | None = None
    time_column: int | None = None
    confidence: float | None = None
    generated: str | None = None

    @property
    def is_mapped(self) -> bool:
        return self.column is not None or self.constant is not None or self.generated is not None


@dataclass
class Mapping:
    """Field name -> source. Fields missing from ``sources`` are unmapped."""

    sources: dict[str, FieldSource] = field(default_factory=dict)

    def source(self, field_name: str) -> FieldSource | None:
        src = self.sources.get(field_name)
        return src if src is not None and src.is_mapped else None

    def generated_fields(self) -> list[str]:
        """Names of the fields whose value the app generates (a row ID), in mapping order."""
        return [name for name, src in self.sources.items() if src.generated is not None]

    def used_columns(self) -> set[int]:
        used: set[int] = set()
        for src in self.sources.values():
            if src.column is not None:
                used.add(src.column)
            if src.time_column is not None:
                used.add(src.time_column)
        return used


# --- automatic matching -------------------------------------------------------------------

MATCH_THRESHOLD = 0.6  # below this a column is not offered for a field at all
# A meter's event-ID field takes a column only when its header says so plainly; otherwise
# the generated row ID is the safer default (a wrong column would merge or split events).
EVENT_ID_THRESHOLD = 0.85

# Finance exports name the four default fields in many ways. The score says how sure a
# synonym is: "amount" is often money, "time" is often a time-of-day column.
_SYNONYMS: dict[str, dict[str, float]] = {
    "CustomerId": {
        "customer id": 0.92,
        "account id": 0.92,
        "account number": 0.92,
        "customer number": 0.9,
        "account no": 0.9,
        "account num": 0.9,
        "customer no": 0.9,
        "cust no": 0.88,
        "cust id": 0.88,
        "acct": 0.85,
        "acct no": 0.88,
        "acct id": 0.88,
        "account": 0.86,
        "customer": 0.86,
        "subscriber": 0.82,
        "subscriber id": 0.88,
        "client id": 0.88,
        "customer account": 0.88,
        "billing account": 0.86,
    },
    "UsageIdentifier": {
        "usage identifier": 0.95,
        "usage type": 0.92,
        "uom": 0.9,
        "unit of measure": 0.9,
        "product code": 0.9,
        "product": 0.86,
        "sku": 0.86,
        "meter": 0.85,
        "charge": 0.82,
        "service": 0.82,
        "item": 0.8,
        "usage code": 0.9,
        "metric": 0.8,
        "event type": 0.8,
    },
    "UsageDate": {
        "usage date": 0.95,
        "date": 0.9,
        "start date": 0.9,
        "transaction date": 0.88,
        "event date": 0.9,
        "timestamp": 0.9,
        "event time": 0.9,
        "usage time": 0.88,
        "period": 0.8,
        "time": 0.8,
        "date time": 0.9,
    },
    "Quantity": {
        "qty": 0.92,
        "quantity": 1.0,
        "units": 0.9,
        "volume": 0.86,
        "count": 0.84,
        "usage": 0.82,
        "amount": 0.8,
        "usage quantity": 0.95,
        "value": 0.7,
    },
}

# Tokens that make a header about something else even when it contains a synonym:
# "Account Name" is not the account number, "Unit Price" is not a quantity.
_NEGATIVE_TOKENS = frozenset(
    {
        "name", "email", "mail", "description", "desc", "address", "phone", "status",
        "currency", "price", "rate", "cost", "tax", "type", "label", "title", "note",
        "notes", "comment", "end", "created", "modified", "due", "invoice",
    }
)  # fmt: skip
# Glued upper-case headers (STARTDATE, ACCOUNTID) are split before these words.
_SUFFIX_WORDS = ("date", "time", "id", "qty", "code", "number", "type", "name", "no")

_CAMEL_RE = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])|(?<=[A-Za-z])(?=\d)")
_NON_ALNUM_RE = re.compile(r"[^0-9a-z]+")
_PAREN_RE = re.compile(r"[\(\[\{].*?[\)\]\}]")
_DATE_TEXT_RE = re.compile(
    r"^\s*(\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}|"
    r"\d{1,2}[ -][A-Za-z]{3,9}[ -]\d{2,4}|[A-Za-z]{3,9} \d{1,2},? \d{4})([ T].*)?$"
)
_TIME_TEXT_RE = re.compile(r"^\s*\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?\s*([AaPp][Mm])?\s*$")
_NUMBER_TEXT_RE = re.compile(r"^\s*[-+]?[\d\s.,'\u00a0\u202f]*\d([.,]\d+)?\s*$")


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _split_suffix(token: str) -> list[str]:
    for word in _SUFFIX_WORDS:
        if token.endswith(word) and len(token) - len(word) >= 3:
            return [*_split_suffix(token[: -len(word)]), word]
    return [token]


def _tokens(text: str) -> list[str]:
    """Words of a header: camelCase and glued upper case split, lower case, no punctuation."""
    spaced = _CAMEL_RE.sub(" ", _fold(text))
    words = [w for w in _NON_ALNUM_RE.split(spaced.casefold()) if w]
    out: list[str] = []
    for w in words:
        out.extend(_split_suffix(w))
    return out


def normalise_header(text: str) -> str:
    """A header reduced to lower-case letters and digits only.

    "Customer_ID", "customer id", "CustomerID" and "CUSTOMER-ID" all become "customerid",
    so headers compare equal whatever case, spacing and punctuation an export used.
    """
    return _NON_ALNUM_RE.sub("", _fold(text).casefold())


def _is_number(value: CellValue) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int | float):
        return True
    return isinstance(value, str) and bool(_NUMBER_TEXT_RE.match(value))


def _is_date(value: CellValue) -> bool:
    if isinstance(value, dt.datetime | dt.date):
        return True
    return isinstance(value, str) and bool(_DATE_TEXT_RE.match(value))


def _is_date_only(value: CellValue) -> bool:
    if isinstance(value, dt.datetime):
        return value.time() == dt.time(0, 0)
    if isinstance(value, dt.date):
        return True
    return isinstance(value, str) and bool(_DATE_TEXT_RE.match(value)) and ":" not in value


def _is_time(value: CellValue) -> bool:
    if isinstance(value, dt.time | dt.timedelta):
        return True
    return isinstance(value, str) and bool(_TIME_TEXT_RE.match(value))


def _share(values: Sequence[CellValue], test: Callable[[CellValue], bool]) -> float | None:
    """Share of non-blank values passing ``test``, or None when there is nothing to judge."""
    present = [v for v in values if v is not None and not (isinstance(v, str) and not v.strip())]
    if not present:
        return None
    return sum(1 for v in present if test(v)) / len(present)


@functools.lru_cache(maxsize=1024)
def _synonym(name: str) -> tuple[str, frozenset[str], str]:
    """A field name or synonym as :func:`_name_score` compares it (worked out once)."""
    tokens = _tokens(name)
    return normalise_header(name), frozenset(tokens), " ".join(tokens)


@functools.lru_cache(maxsize=65_536)
def _header_features(header: str) -> tuple[str, str, frozenset[str], str, frozenset[str]]:
    """A header as :func:`_name_score` compares it: worked out once per header, not once
    per field and synonym (a wide sheet has thousands of headers). The last part is the
    header's words that make it about something else (see _NEGATIVE_TOKENS)."""
    words = _tokens(header)
    tokens = frozenset(words)
    key_no_paren = normalise_header(_PAREN_RE.sub(" ", header))
    spaced = " ".join(words)
    return normalise_header(header), key_no_paren, tokens, spaced, tokens & _NEGATIVE_TOKENS


@functools.lru_cache(maxsize=256)
def _synonyms(
    names: tuple[tuple[str, float], ...],
) -> tuple[tuple[str, frozenset[str], str, float], ...]:
    """:func:`_synonym` of each name, with its top score (worked out once per field)."""
    return tuple((*_synonym(name), top) for name, top in names)


def _name_score(header: str, names: dict[str, float], floor: float = 0.0) -> float:
    """How well a header matches any of ``names`` (each with its own top score).

    With ``floor``, a score below it may come out lower than it is (0): the fuzzy
    comparison then stops early, which is what keeps wide sheets fast.
    """
    key, key_no_paren, token_set, spaced, negatives = _header_features(header)
    if not key:
        return 0.0
    best = 0.0
    ratio_of = fuzz.ratio
    for name_key, name_tokens, name_spaced, top in _synonyms(tuple(names.items())):
        # (plain comparisons, not max(): this loop runs for every header and synonym)
        if key == name_key:
            if top > best:
                best = top
            continue
        if key_no_paren and key_no_paren == name_key:  # "Usage Date (UTC)"
            if top - 0.03 > best:
                best = top - 0.03
            continue
        if negatives and negatives - name_tokens:
            continue  # "Account Name" is about the name, however close it looks
        if name_tokens <= token_set and top * 0.85 > best:
            best = top * 0.85  # "Billing Quantity", "Customer Account Number"
        scale = 0.8 * top
        cutoff = (best if best > floor else floor) / scale * 100.0
        if cutoff > 100.0:
            continue  # no ratio could beat what is known
        score = ratio_of(spaced, name_spaced, score_cutoff=cutoff) / 100.0 * scale
        if score > best:
            best = score  # typos: "Quantiy"
    return best


# The most the samples can add to a name's score.
_SAMPLE_BONUS = 0.05
_ROUNDING = 0.0005  # match_score rounds to 3 places: a floor allows for that


def _sample_adjustment(field: SchemaField, values: Sequence[CellValue]) -> float:
    if field.type in (FieldType.DATE, FieldType.DATETIME):
        share = _share(values, _is_date)
    elif field.type in (FieldType.NUMBER, FieldType.INTEGER):
        share = _share(values, _is_number)
    else:
        dates = _share(values, _is_date)
        return -0.1 if dates is not None and dates >= 0.8 else 0.0
    if share is None:
        return 0.0
    if share >= 0.8:
        return _SAMPLE_BONUS
    if share < 0.2:
        return -0.3
    return -0.1


def match_score(
    header: str, field: SchemaField, samples: Sequence[CellValue] | None = None
) -> float:
    """How likely a column with this header (and these sample cells) feeds ``field``, 0..1."""
    return _match_score(header, field, samples)


def _match_score(
    header: str, field: SchemaField, samples: Sequence[CellValue] | None, floor: float = 0.0
) -> float:
    """:func:`match_score`; with ``floor``, a score that cannot reach it may come out 0
    (neither the name's fuzzy comparison nor the samples are then worked out in full)."""
    names = {field.name: 1.0, **_SYNONYMS.get(field.name, {})}
    bonus = _SAMPLE_BONUS if samples is not None else 0.0
    name_floor = max(0.0, floor - bonus - _ROUNDING)
    score = _name_score(header, names, name_floor)
    if score <= 0.0 or score < name_floor:
        return 0.0
    if samples is not None:
        score += _sample_adjustment(field, samples)
    return round(max(0.0, min(1.0, score)), 3)


def auto_match(
    headers: list[str],
    schema: Schema,
    samples: Sequence[Sequence[CellValue]] | None = None,
) -> Mapping:
    """Guess which column feeds each field of ``schema``.

    Every (field, column) pair is scored; the best pairs are taken first and a column never
    feeds two fields. Pairs scoring below :data:`MATCH_THRESHOLD` are never used, so a
    field with no likely column stays unmapped for the user to choose. A text field the
    schema marks as the meter's event-ID field (``SchemaField.event_id``) takes a column
    only above :data:`EVENT_ID_THRESHOLD`; otherwise it is filled with the generated row
    ID (``FieldSource(generated=ROW_ID)``), which the user can still replace.

    Args:
        headers: the table's column headers, in column order.
        schema: the meter's event fields.
        samples: optional; ``samples[c]`` holds a few cells of column ``c``. They break
            ties, e.g. a column of dates wins a date-time field over a column of text.
    """
    candidates: list[tuple[float, int, int]] = []  # (score, field index, column)
    for fi, fld in enumerate(schema.fields):
        for col, header in enumerate(headers):
            col_samples = samples[col] if samples is not None and col < len(samples) else None
            need = EVENT_ID_THRESHOLD if fld.event_id else MATCH_THRESHOLD
            score = _match_score(header, fld, col_samples, need)
            if score >= need:
                candidates.append((score, fi, col))
    # Best first; equal scores go to the earlier field, then the earlier column.
    candidates.sort(key=lambda c: (-c[0], c[1], c[2]))
    mapping = Mapping()
    taken: set[int] = set()
    for score, fi, col in candidates:
        name = schema.fields[fi].name
        if name in mapping.sources or col in taken:
            continue
        mapping.sources[name] = FieldSource(column=col, confidence=score)
        taken.add(col)
    _attach_time_columns(headers, schema, samples, mapping, taken)
    for fld in schema.fields:
        if fld.event_id and fld.type is FieldType.STRING and fld.name not in mapping.sources:
            mapping.sources[fld.name] = FieldSource(generated=ROW_ID)
    return mapping


_TIME_HEADER_KEYS = {"time", "usagetime", "eventtime", "starttime", "timeofday", "hour"}


MATCH_SAMPLE_ROWS = 50  # the first cells of each column that automatic matching looks at


def auto_match_table(table: Table, schema: Schema) -> Mapping:
    """:func:`auto_match` on a table's headers and first cells: the rule of every face, so
    one file maps the same way in the app and the CLI (and one can resume the other)."""
    return auto_match(table.headers, schema, [col[:MATCH_SAMPLE_ROWS] for col in table.columns])


def _attach_time_columns(
    headers: list[str],
    schema: Schema,
    samples: Sequence[Sequence[CellValue]] | None,
    mapping: Mapping,
    taken: set[int],
) -> None:
    """A date-time field fed by a date-only column takes the time from a "Time" column."""
    for fld in schema.fields:
        src = mapping.sources.get(fld.name)
        if fld.type is not FieldType.DATETIME or src is None or src.column is None:
            continue
        date_samples = samples[src.column] if samples and src.column < len(samples) else None
        if date_samples is not None:
            if not _share(date_samples, _is_date_only):
                continue
        elif "time" in _tokens(headers[src.column]):
            continue
        for col, header in enumerate(headers):
            if col in taken or normalise_header(header) not in _TIME_HEADER_KEYS:
                continue
            time_samples = samples[col] if samples and col < len(samples) else None
            if time_samples is not None and (_share(time_samples, _is_time) or 0.0) < 0.8:
                continue
            src.time_column = col
            taken.add(col)
            break


def event_id_fields(schema: Schema, mapping: Mapping) -> list[str]:
    """The fields that give each event its own ID, in schema order: those filled with the
    generated row ID, and those the schema marks as event-ID fields fed by a column.

    A constant never counts (it gives every event the same ID), nor does an unmapped field.
    """
    out: list[str] = []
    for f in schema.fields:
        src = mapping.source(f.name)
        if src is None:
            continue
        if src.generated is not None or (f.event_id and src.column is not None):
            out.append(f.name)
    return out


def unmapped_required(schema: Schema, mapping: Mapping) -> list[str]:
    """Names of required fields that have no column, constant or generated value."""
    return [f.name for f in schema.fields if f.required and mapping.source(f.name) is None]


def unmapped_columns(table: Table, mapping: Mapping) -> list[int]:
    """Columns of ``table`` that feed no field (shown so the user sees what is left out)."""
    used = mapping.used_columns()
    return [c for c in range(table.column_count) if c not in used]


def resolve_column(table: Table, name_or_letter: str) -> int:
    """A column by header text (case-insensitive) or Excel letter, or a clear OptionsError."""
    col = table.find_column(name_or_letter)
    if col is not None:
        return col
    # Second chance: the same header written differently ("Customer_ID" for "Customer ID").
    wanted = normalise_header(name_or_letter)
    if wanted:
        hits = [i for i, h in enumerate(table.headers) if normalise_header(h) == wanted]
        if len(hits) == 1:
            return hits[0]
    shown = ", ".join(f"'{h}'" for h in table.headers[:12])
    if len(table.headers) > 12:
        shown += f" and {len(table.headers) - 12} more"
    last = column_letter(max(table.column_count - 1, 0))
    raise OptionsError(
        f"Sheet '{table.sheet}' has no column '{name_or_letter.strip()}'; "
        f"use one of its headers ({shown}) or a column letter from A to {last}."
    )
