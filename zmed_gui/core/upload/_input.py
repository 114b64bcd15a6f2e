"""What goes into an upload: the events to send, where they came from, and how to send them.

:class:`UploadItem` is one validated event, :class:`SourceInfo` the fingerprint of the file,
sheet and mapping it came from (a resume must match it), :class:`UploadOptions` the sending
choices. :func:`items_from_validation` turns a validation result into items. Planning is in
:mod:`~zmed_gui.core.upload._planning`, sending in :mod:`~zmed_gui.core.upload._sender`.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from array import array
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, overload

from zmed_gui.core.mapping import event_id_fields
from zmed_gui.core.table import SHARE_STEP

if TYPE_CHECKING:
    from zmed_gui.core.progress import CancelToken
    from zmed_gui.core.validate import ValidationResult

MAX_CONCURRENCY = 40  # Zuora's default tenant-wide limit of concurrent requests


@dataclass
class UploadOptions:
    """How to send. ``None`` limits mean "the connection's tenant limit".

    ``max_payload_bytes`` is applied to the uncompressed JSON body (Zuora does not say
    whether its limit counts before or after gzip; the stricter reading is safe either way).
    Retrying a batch is bounded by time (``max_retry_seconds``), and by ``max_attempts``
    only when that is set. ``stall_seconds``: a server that has answered nothing at all
    for that long ends the upload (a server that answers, however slowly, is waited on up
    to ``timeout`` seconds a request: Zuora's gateway gives up at 120 s).
    """

    batch_size: int | None = None
    max_payload_bytes: int | None = None
    concurrency: int = 4
    calls_per_minute: int | None = None
    gzip: bool = True
    track_id: str | None = None  # None: one is generated per upload
    dry_run: bool = False
    allow_duplicates: bool = False
    resend_uncertain: bool = False
    # The meter drops repeats of the same event ID (a Deduplicator on that field, or an
    # Event Store upserting by it): uncertain events with an event ID are sent again.
    meter_deduplicates: bool = False
    max_attempts: int | None = None  # per batch, for 429/5xx/connection errors
    max_retry_seconds: float = 600.0  # per batch, total time spent trying
    backoff_base: float = 0.5
    backoff_cap: float = 30.0
    stall_seconds: float = 60.0
    timeout: float = 130.0


class UploadItem(NamedTuple):
    """One event to send. ``row`` is the 0-based data row; ``excel_row`` what Excel shows.

    A named tuple, not a dataclass: one is made per row, and a frozen dataclass took 3 us
    each (0.7 s for 200,000 rows).
    """

    row: int
    excel_row: int
    event: dict[str, Any]


@dataclass(frozen=True)
class SourceInfo:
    """Where the events came from; ``fingerprint`` identifies file content + sheet + mapping."""

    file_name: str
    sheet: str
    fingerprint: str

    @classmethod
    def from_file(
        cls, path: Path, sheet: str, mapping_json: str, cancel: CancelToken | None = None
    ) -> SourceInfo:
        """Fingerprint = sha256 of the file's bytes, the sheet name and the mapping JSON."""
        h = hashlib.sha256()
        with path.open("rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                if cancel is not None:
                    cancel.raise_if_cancelled()
                h.update(chunk)
        h.update(b"\0sheet\0" + sheet.encode("utf-8"))
        h.update(b"\0mapping\0" + mapping_json.encode("utf-8"))
        return cls(path.name, sheet, h.hexdigest())

    @classmethod
    def for_validation(
        cls,
        path: Path | None,
        result: ValidationResult,
        edits: Sequence[tuple[int, int, str]] = (),
        cancel: CancelToken | None = None,
    ) -> SourceInfo:
        """The fingerprint of a validated file: its bytes, sheet, header row, mapping,
        conversion options and event fields (everything that decides the events).

        ``edits`` are cells changed in the app as (row, column, repr of the value): they are
        not in the file, so with edits the fingerprint differs from the file's alone (the
        CLI could not send those events) but stays the same for the same edits. A table that
        did not come from a file on disk gets a fingerprint of its name, sheet, size and
        mapping, so it can still be resumed.
        """
        table = result.table
        if path is not None and Path(path).is_file():
            base = cls.from_file(Path(path), table.sheet, mapping_json(result), cancel)
        else:
            h = hashlib.sha256(f"{table.source}\0{table.sheet}\0{len(table)}\0".encode())
            h.update(mapping_json(result).encode())
            base = cls(table.source, table.sheet, h.hexdigest())
        if not edits:
            return base
        h = hashlib.sha256(base.fingerprint.encode())
        for row, col, value in sorted(edits):
            h.update(f"\0edit\0{row}\0{col}\0{value}".encode())
        return cls(base.file_name, base.sheet, h.hexdigest())


def mapping_json(result: ValidationResult) -> str:
    """What decides the events besides the file's bytes, as canonical JSON."""
    data: dict[str, Any] = {
        "fields": result.schema.names,
        "header_row": result.table.header_row,
        "mapping": {
            # "generated" only when set: fingerprints of earlier uploads stay as they were
            name: {
                k: v
                for k, v in dataclasses.asdict(src).items()
                if k != "confidence" and (k != "generated" or v is not None)
            }
            for name, src in sorted(result.mapping.sources.items())
            if src.is_mapped
        },
        "options": {k: str(v) for k, v in sorted(dataclasses.asdict(result.options).items())},
        "excluded": sorted(result.excluded),
    }
    return json.dumps(data, sort_keys=True, ensure_ascii=False)


def event_id_fields_of(
    validation: ValidationResult | None, explicit: Sequence[str] | None = None
) -> tuple[str, ...]:
    """The fields that give each event its own ID: ``explicit`` when given, else those of
    the validation's mapping (see :func:`zmed_gui.core.mapping.event_id_fields`)."""
    if explicit is not None:
        return tuple(explicit)
    if validation is None:
        return ()
    return tuple(event_id_fields(validation.schema, validation.mapping))


def _packed(values: Sequence[int]) -> array[int]:
    """``array("q", values)`` a slice at a time (one native call over a million values
    held the GIL ~60 ms; the window waited for it)."""
    out = array("q")
    for start in range(0, len(values), SHARE_STEP):
        out.extend(values[start : start + SHARE_STEP])
    return out


class ItemList(Sequence[UploadItem]):
    """The items of a validation's rows, made when asked for: the plan keeps only the rows.

    A list of :class:`UploadItem` held an event dict per row for the whole upload (about
    half a kilobyte each: 150 MiB with 300,000 rows); this holds two ints' worth per row and
    builds an item, with its event from the validation, on each access. It compares equal
    to a list of the same items.
    """

    __slots__ = ("_events", "_excel", "_rows")

    def __init__(self, rows: Sequence[int], excel_rows: Sequence[int], events: Any) -> None:
        self._rows = _packed(rows)
        self._excel = _packed(excel_rows)
        self._events = events  # indexable by data row: the event of a sendable row

    def __len__(self) -> int:
        return len(self._rows)

    @overload
    def __getitem__(self, index: int) -> UploadItem: ...

    @overload
    def __getitem__(self, index: slice) -> list[UploadItem]: ...

    def __getitem__(self, index: int | slice) -> UploadItem | list[UploadItem]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self._rows)))]
        row = self._rows[index]
        return UploadItem(row, self._excel[index], self._events[row])

    def __iter__(self) -> Iterator[UploadItem]:
        events = self._events
        for row, excel in zip(self._rows, self._excel, strict=True):
            yield UploadItem(row, excel, events[row])

    def event_dicts(self, start: int, stop: int) -> Iterator[dict[str, Any]]:
        """The events of items ``start`` to ``stop`` (what planning encodes)."""
        dicts = getattr(self._events, "dicts", None)
        rows = self._rows[start:stop].tolist()  # a list: EventList makes its dicts in C
        if dicts is not None:
            return dicts(rows)  # type: ignore[no-any-return]
        events = self._events
        return (events[r] for r in rows)

    def at(self, positions: Sequence[int]) -> Iterator[UploadItem]:
        """The items at ``positions``, one after another (their events made in one go)."""
        rows, excel = self._rows, self._excel
        wanted = [rows[p] for p in positions]
        dicts = getattr(self._events, "dicts", None)
        events = dicts(wanted) if dicts is not None else (self._events[r] for r in wanted)
        for p, row, event in zip(positions, wanted, events, strict=True):
            yield UploadItem(row, excel[p], event)

    def where(self, keep: Collection[int]) -> ItemList:
        """Only the items whose data row is in ``keep``."""
        pairs = [(r, x) for r, x in zip(self._rows, self._excel, strict=True) if r in keep]
        return ItemList([r for r, _ in pairs], [x for _, x in pairs], self._events)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sequence):
            return NotImplemented
        return len(self) == len(other) and list(self) == list(other)

    __hash__ = None  # type: ignore[assignment]


def row_pairs(items: Sequence[UploadItem]) -> Iterator[tuple[int, int]]:
    """``(row, excel_row)`` of each item, without making the items of an :class:`ItemList`."""
    if isinstance(items, ItemList):
        return zip(items._rows, items._excel, strict=True)
    return ((it.row, it.excel_row) for it in items)


def row_columns(items: Sequence[UploadItem]) -> tuple[Sequence[int], Sequence[int]]:
    """The items' data rows and Excel rows, as two columns (without making the items of an
    :class:`ItemList`)."""
    if isinstance(items, ItemList):
        return items._rows, items._excel
    return [it.row for it in items], [it.excel_row for it in items]


def excel_rows_of(items: Sequence[UploadItem], positions: Iterable[int]) -> list[int]:
    """The Excel row numbers of the items at ``positions`` (without making them)."""
    if isinstance(items, ItemList):
        excel = items._excel
        return [excel[p] for p in positions]
    return [items[p].excel_row for p in positions]


def lazy_items(result: ValidationResult) -> tuple[ItemList, list[int]]:
    """:func:`items_from_validation` as an :class:`ItemList` (what a session plans)."""
    row_numbers = result.table.row_numbers
    valid = result.valid_rows()
    items = ItemList(valid, [row_numbers[i] for i in valid], result.events)
    if len(valid) + len(result.excluded) == len(row_numbers):
        return items, []
    skip = set(valid) | set(result.excluded)
    return items, [i for i in range(len(row_numbers)) if i not in skip]


def items_from_validation(result: ValidationResult) -> tuple[list[UploadItem], list[int]]:
    """Rows to send (VALID or WARNING) as upload items, and the invalid rows (0-based).

    Invalid rows are never sent (the report lists them); rows the user excluded are
    neither sent nor counted as invalid.
    """
    row_numbers = result.table.row_numbers
    events = result.events
    valid = result.valid_rows()  # their events are not None
    items = [UploadItem(i, row_numbers[i], events[i]) for i in valid]  # type: ignore[arg-type]
    if len(valid) + len(result.excluded) == len(row_numbers):
        return items, []  # every row is sent or excluded: none invalid
    skip = set(valid) | set(result.excluded)
    return items, [i for i in range(len(row_numbers)) if i not in skip]
