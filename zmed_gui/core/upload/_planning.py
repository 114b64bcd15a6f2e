"""Planning an upload before anything is sent: batches, duplicate guard, uncertain, resume.

:func:`plan_upload` (read-only; the session has recovered dead uploads) looks at the journal:
events already accepted for the same meter (by event hash, from any earlier upload) are
duplicates and skipped unless ``allow_duplicates``; events of earlier *uncertain* batches
are held back unless ``resend_uncertain``; with ``resume_id`` only what that upload has not
finished is sent.

``meter_deduplicates``: the user says the meter drops repeats of an event ID (a
Deduplicator on that field, or an Event Store upserting by it). Then uncertain events that
carry a filled event-ID field (``event_id_fields``, e.g. the generated row ID) are sent
again without asking: a repeat is dropped by the meter, a lost one arrives. Set without
any event-ID field, the plan is refused (the option would promise a safety that is not
there); an uncertain event whose ID is empty is held back as usual.

The :class:`UploadPlan` it returns is what :class:`zmed_gui.core.sender.Sender` runs.
"""

from __future__ import annotations

import re
import uuid
from array import array
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, overload

from zmed_gui.core.connections import Target, TenantLimits, limits_preset
from zmed_gui.core.errors import OptionsError
from zmed_gui.core.journal import EventColumns, EventRow, EventStatus, UploadStatus, hash_key
from zmed_gui.core.upload._batches import (
    PackedBytes,
    canonical_parts,
    digests,
    make_batches,
)
from zmed_gui.core.upload._input import (
    MAX_CONCURRENCY,
    ItemList,
    SourceInfo,
    UploadItem,
    UploadOptions,
)
from zmed_gui.core.upload._outcomes import ProgressFn, UploadPhase, UploadProgress
from zmed_gui.core.zuora import check_track_id, new_track_id

if TYPE_CHECKING:
    from zmed_gui.core.journal import Journal
    from zmed_gui.core.progress import CancelToken

_REASONS_SAMPLE = 500  # refused-before events whose earlier reason is looked up
_STEP = 5_000  # events between cancel checks and progress reports while planning
_ENCODE_STEP = 20_000  # events encoded in one go (one buffer of the plan's each)


@dataclass(frozen=True)
class DuplicateFinding:
    """An item whose event was already accepted for this meter by ``upload_ids``."""

    item: UploadItem
    upload_ids: tuple[str, ...]


class _Picked(Sequence[UploadItem]):
    """Some of the plan's items, by position: an index each, not an item (with its event
    dict) each. Compares equal to a list of the same items."""

    __slots__ = ("_items", "_positions")

    def __init__(self, items: Sequence[UploadItem], positions: Iterable[int] = ()) -> None:
        self._items = items
        # A range stays one (every event sent: an array of a million positions was one
        # native call holding the GIL ~100 ms, and 8 MB).
        self._positions: range | array[int] = (
            positions if isinstance(positions, range) else array("q", positions)
        )

    def add(self, pos: int) -> None:
        if isinstance(self._positions, range):
            self._positions = array("q", self._positions)
        self._positions.append(pos)

    def positions(self) -> Sequence[int]:
        """The items' positions in the plan's ``items``, in order."""
        return self._positions

    def __iter__(self) -> Iterator[UploadItem]:
        items = self._items
        if isinstance(items, ItemList):  # the events made in one go, not one call each
            return items.at(self._positions)
        return (items[p] for p in self._positions)

    def __len__(self) -> int:
        return len(self._positions)

    @overload
    def __getitem__(self, index: int) -> UploadItem: ...

    @overload
    def __getitem__(self, index: slice) -> list[UploadItem]: ...

    def __getitem__(self, index: int | slice) -> UploadItem | list[UploadItem]:
        if isinstance(index, slice):
            return [self._items[p] for p in self._positions[index]]
        return self._items[self._positions[index]]

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sequence):
            return NotImplemented
        return len(self) == len(other) and list(self) == list(other)

    __hash__ = None  # type: ignore[assignment]


class _LazyFinding(DuplicateFinding):
    """A finding whose item (and its event dict) is made only when read: a face that
    counts the duplicates by upload walks all of them, on the GUI thread."""

    def __init__(self, items: Sequence[UploadItem], pos: int, upload_ids: tuple[str, ...]):
        object.__setattr__(self, "upload_ids", upload_ids)
        object.__setattr__(self, "_items", items)
        object.__setattr__(self, "_pos", pos)

    @property
    def item(self) -> UploadItem:
        return self._items[self._pos]  # type: ignore[attr-defined, no-any-return]


class _Findings(Sequence[DuplicateFinding]):
    """The plan's duplicates: per one, its position and the (shared) upload ID string; a
    :class:`DuplicateFinding` is made when asked for (300,000 of them, each with its item
    and a tuple, were 65 MiB kept for the whole upload)."""

    __slots__ = ("_items", "_positions", "_shared", "_uids")

    def __init__(self, items: Sequence[UploadItem]) -> None:
        self._items = items
        self._positions = array("q")
        self._uids: list[tuple[str, ...]] = []  # one tuple per earlier upload, shared
        self._shared: dict[str, tuple[str, ...]] = {}

    def add(self, pos: int, uid: str) -> None:
        self._positions.append(pos)
        ids = self._shared.get(uid)
        if ids is None:
            ids = self._shared[uid] = (uid,)
        self._uids.append(ids)

    def by_upload(self) -> dict[str, int]:
        """How many duplicates each earlier upload delivered (without making findings)."""
        return {ids[0]: n for ids, n in Counter(self._uids).items()}

    def __len__(self) -> int:
        return len(self._uids)

    @overload
    def __getitem__(self, index: int) -> DuplicateFinding: ...

    @overload
    def __getitem__(self, index: slice) -> list[DuplicateFinding]: ...

    def __getitem__(self, index: int | slice) -> DuplicateFinding | list[DuplicateFinding]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self._uids)))]
        return _LazyFinding(self._items, self._positions[index], self._uids[index])

    def __iter__(self) -> Iterator[DuplicateFinding]:
        items, new = self._items, object.__new__
        for pos, ids in zip(self._positions, self._uids, strict=True):
            finding = new(_LazyFinding)  # what __init__ does, a third quicker
            held = finding.__dict__
            held["upload_ids"], held["_items"], held["_pos"] = ids, items, pos
            yield finding

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sequence):
            return NotImplemented
        return len(self) == len(other) and list(self) == list(other)

    __hash__ = None  # type: ignore[assignment]


@dataclass
class UploadPlan:
    """What :func:`run_upload` will do; built by :func:`plan_upload`, nothing sent yet.

    ``to_send`` is what goes out. The other lists say what the journal found:
    ``duplicates`` (already accepted for this meter earlier: skipped, or also in ``to_send``
    when ``allow_duplicates``), ``uncertain`` (sent earlier without an answer: held back, or
    also in ``to_send`` when ``resend_uncertain``), ``resent_by_id`` (sent earlier without
    an answer, but carrying an event ID the meter deduplicates on: also in ``to_send``; see
    ``meter_deduplicates``), ``already_done`` (resume: accepted or rejected in this upload
    before), ``too_large`` (one event alone is over the payload limit; never sent),
    ``refused_before`` (refused by Zuora in an earlier upload; also in ``to_send``, with
    the reasons given then in ``refusal_reasons``: the first few hundred, counted),
    ``copies`` (further copies of an event already accepted, beyond the number accepted:
    held back like ``duplicates``, or also in ``to_send`` when ``allow_duplicates``).
    """

    upload_id: str
    resuming: bool
    target: Target
    source: SourceInfo
    options: UploadOptions
    batch_size: int
    max_payload_bytes: int
    calls_per_minute: int
    items: Sequence[UploadItem]
    to_send: Sequence[UploadItem]
    duplicates: Sequence[DuplicateFinding] = field(default_factory=list)
    uncertain: Sequence[UploadItem] = field(default_factory=list)
    resent_by_id: Sequence[UploadItem] = field(default_factory=list)
    event_id_fields: tuple[str, ...] = ()
    already_done: Sequence[UploadItem] = field(default_factory=list)
    too_large: Sequence[UploadItem] = field(default_factory=list)
    # Going out again, unchanged, although Zuora refused them in an earlier upload (when
    # sent, or after receipt): not a double bill, but likely refused again.
    refused_before: Sequence[UploadItem] = field(default_factory=list)
    refusal_reasons: dict[str, int] = field(default_factory=dict)  # reason -> events (sample)
    # More copies of an event here than Zuora received: the copies over that number (the
    # same customer, usage, date and quantity as an event already in Zuora). Held back
    # like ``duplicates`` unless ``allow_duplicates``: an extra copy is far likelier a
    # repeated row (one the user left out last time) than new usage.
    copies: Sequence[DuplicateFinding] = field(default_factory=list)
    invalid_rows: list[int] = field(default_factory=list)
    batches_total: int = 0
    track_id: str = ""

    connection: str = ""
    # Each event encoded and hashed once, by position in ``items``: ``encoded`` are the bytes
    # sent, ``hashes`` their sha256 digests (what the duplicate guard keeps);
    # ``send_positions`` what goes out; ``marks`` the statuses to record for the others;
    # ``resend_hashes`` earlier uncertain events sent again (hash -> count);
    # ``accepted_before`` accepted in earlier runs (resume).
    encoded: Sequence[bytes] = field(default_factory=list, repr=False)
    hashes: Sequence[bytes] = field(default_factory=list, repr=False)
    send_positions: Sequence[int] = field(default_factory=list, repr=False)
    marks: dict[int, tuple[EventStatus, str]] = field(default_factory=dict, repr=False)
    resend_hashes: dict[bytes, int] = field(default_factory=dict, repr=False)
    accepted_before: int = field(default=0, repr=False)
    # The batches to send (positions in ``items``), cut once here; and, for a resume, the
    # upload's events as the journal had them (the sender starts from them).
    # A resume's events are :class:`EventColumns` (a few bytes each, not an EventRow each).
    batches: Sequence[Sequence[int]] = field(default_factory=list, repr=False)
    prior_events: Iterable[EventRow] = field(default_factory=list, repr=False)

    def duplicates_by_upload(self) -> dict[str, int]:
        """Upload ID -> how many of ``duplicates`` it delivered; quick for any number
        (walking ``duplicates`` makes an object per event: not on the GUI thread)."""
        dups = self.duplicates
        if isinstance(dups, _Findings):
            return dups.by_upload()
        return dict(Counter(d.upload_ids[0] for d in dups))

    def summary(self) -> str:
        """Sentences for the user before sending."""
        n = len(self.to_send)
        parts = [
            f"{n:,} events will be sent to {self.target.url} in {self.batches_total:,} "
            f"calls of at most {self.batch_size:,} events."
        ]
        if self.resuming:
            parts.append(
                f"This continues upload {self.upload_id}: {len(self.already_done):,} events "
                "were already answered."
            )
        if self.duplicates:
            verb = "will be sent anyway" if self.options.allow_duplicates else "will be skipped"
            rows = _rows_text([d.item.excel_row for d in self.duplicates])
            parts.append(
                f"{len(self.duplicates):,} events ({rows}) were already accepted for this meter "
                f"by an earlier upload and {verb}."
            )
        if self.copies:
            verb = "will be sent anyway" if self.options.allow_duplicates else "will be skipped"
            rows = _rows_text([d.item.excel_row for d in self.copies[:5]], total=len(self.copies))
            parts.append(
                f"{len(self.copies):,} events ({rows}) are further copies of events already "
                f"accepted for this meter (the file holds more copies than were accepted) and "
                f"{verb}."
            )
        if self.uncertain:
            verb = (
                "will be sent again as you chose"
                if self.options.resend_uncertain
                else "will not be sent again (choose 'resend uncertain' after checking the meter)"
            )
            rows = _rows_text([it.excel_row for it in self.uncertain])
            parts.append(
                f"{len(self.uncertain):,} events ({rows}) were sent before without an answer "
                f"from Zuora and {verb}."
            )
        if self.resent_by_id:
            rows = _rows_text([it.excel_row for it in self.resent_by_id])
            ids = " and ".join(self.event_id_fields)
            parts.append(
                f"{len(self.resent_by_id):,} events ({rows}) were sent before without an answer "
                f"from Zuora and will be sent again: the meter drops repeats of the same event "
                f"ID ({ids})."
            )
        if self.refused_before:
            first = [it.excel_row for it in self.refused_before[:5]]
            rows = _rows_text(first, total=len(self.refused_before))
            parts.append(
                f"{len(self.refused_before):,} events ({rows}) were refused by Zuora in an "
                "earlier upload and will be sent again as they are: unless their cause was "
                f"put right in Zuora, they will be refused again ({self.refusal_words()})."
            )
        if self.too_large:
            parts.append(
                f"{len(self.too_large):,} events are each larger than one call may be and will "
                "not be sent."
            )
        if self.invalid_rows:
            parts.append(f"{len(self.invalid_rows):,} invalid rows will not be sent.")
        return " ".join(parts)

    def refusal_words(self) -> str:
        """The reason given last time, for a sentence: the commonest one and how many
        others there were."""
        if not self.refusal_reasons:
            return "the reason was not recorded"
        ranked = sorted(self.refusal_reasons.items(), key=lambda kv: (-kv[1], kv[0]))
        first = ranked[0][0].strip().rstrip(".") or "no reason given"
        others = len(ranked) - 1
        more = f"; and {others:,} other reason{'s' if others > 1 else ''}" if others else ""
        return f"last time: {first}{more}"


_REFUSAL_LEADS = ("Zuora rejected the event: ", "Rejected by the meter after receipt: ")
_IN_BATCH = re.compile(r"\b(?:event|index) \d+:\s*", re.IGNORECASE)  # meant that call only
_REASON_CHARS = 200


def _reason_words(message: str) -> str:
    """An earlier refusal's message as a reason for now: without the result's lead-in and
    the event's place in that call (the same fault in two events is one reason)."""
    text = message.strip()
    for lead in _REFUSAL_LEADS:
        if text.startswith(lead):
            text = text[len(lead) :]
    text = _IN_BATCH.sub("", text).strip()
    if len(text) > _REASON_CHARS:
        text = text[: _REASON_CHARS - 1].rstrip() + "…"
    return text


def _rows_text(rows: list[int], show: int = 5, total: int | None = None) -> str:
    """The first ``show`` rows and how many more (of ``total``, by default ``len(rows)``)."""
    total = len(rows) if total is None else total
    shown = ", ".join(f"{r:,}" for r in rows[:show])
    more = f" and {total - show:,} more" if total > show else ""
    return f"row{'s' if total > 1 else ''} {shown}{more}"


def _check_options(options: UploadOptions) -> None:
    if not 1 <= options.concurrency <= MAX_CONCURRENCY:
        raise OptionsError(
            f"Concurrency {options.concurrency} is out of range; use 1 to {MAX_CONCURRENCY}."
        )
    if options.batch_size is not None and options.batch_size < 1:
        raise OptionsError("The batch size must be at least 1 event.")
    if options.max_payload_bytes is not None and options.max_payload_bytes < 1024:
        raise OptionsError("The maximum payload must be at least 1024 bytes.")
    if options.calls_per_minute is not None and options.calls_per_minute < 1:
        raise OptionsError("The calls per minute must be at least 1.")
    if options.max_attempts is not None and options.max_attempts < 1:
        raise OptionsError("The number of attempts must be at least 1.")


def _check_event_ids(options: UploadOptions, event_id_fields: Sequence[str]) -> None:
    if options.meter_deduplicates and not event_id_fields:
        raise OptionsError(
            "The meter is said to ignore an event it already has (same event ID), but no "
            "field of the events carries an event ID: map the meter's event-ID field to the "
            "generated row ID (or to a column of unique IDs), or turn that option off; "
            "without an ID a resend could bill twice."
        )


def _has_id(item: UploadItem, event_id_fields: Sequence[str]) -> bool:
    """True when the event carries a filled value in one of its event-ID fields."""
    event = item.event
    return any(event.get(name) not in (None, "") for name in event_id_fields)


def plan_upload(
    journal: Journal,
    target: Target,
    items: Sequence[UploadItem],
    source: SourceInfo,
    options: UploadOptions,
    resume_id: str | None = None,
    *,
    limits: TenantLimits | None = None,
    invalid_rows: Sequence[int] = (),
    connection: str = "",
    progress: ProgressFn | None = None,
    cancel: CancelToken | None = None,
    event_id_fields: Sequence[str] = (),
) -> UploadPlan:
    """Decide what to send, without sending or writing anything.

    Called by :class:`~zmed_gui.core.upload.UploadSession` while it holds the meter's lease,
    after it has recovered the uploads of dead processes (:meth:`Journal.recover`).

    Args:
        journal: where earlier uploads are recorded.
        target: the meter and its upload URL.
        items: the valid events (see :func:`items_from_validation`).
        source: the file's fingerprint; a resume must be of the same file, sheet and mapping.
        options: batch size, duplicates and uncertain choices...
        resume_id: continue that upload (only what it has not finished is sent).
        limits: the tenant limits of the connection (default: Production).
        invalid_rows: 0-based rows that are not sent because they are invalid (reported).
        connection: the connection's name, for the journal and history.
        progress, cancel: reported and checked every few thousand events.
        event_id_fields: the fields that give each event its own ID (see
            :func:`zmed_gui.core.mapping.event_id_fields`); used with ``meter_deduplicates``.

    Raises:
        OptionsError: bad options, unknown ``resume_id`` or a resume of another file/meter.
        Cancelled: the user cancelled.
    """
    _check_options(options)
    _check_event_ids(options, event_id_fields)
    lim = limits or limits_preset("production")
    batch_size = options.batch_size or lim.max_events
    max_bytes = options.max_payload_bytes or lim.max_payload_bytes
    cpm = options.calls_per_minute or lim.calls_per_minute

    def step(done: int, total: int, message: str) -> None:
        if cancel is not None:
            cancel.raise_if_cancelled()
        if progress is not None:
            progress(UploadProgress(len(items), UploadPhase.CHECKING, done, total, message=message))

    parts = PackedBytes()  # a few buffers, not a bytes object per event
    hashes = PackedBytes()
    dicts = getattr(items, "event_dicts", None)  # an ItemList: no item made per event
    # The digests' 16-byte keys (what the journal keeps) while planning: one buffer per
    # encoded slice, not a bytes object (65 bytes and a list slot) per event.
    width, per = _KEY_BYTES, _ENCODE_STEP
    key_slices: list[bytes] = []
    for start in range(0, len(items), _ENCODE_STEP):
        step(start, len(items), "Preparing the events…")
        if dicts is not None:
            events = list(dicts(start, start + _ENCODE_STEP))
        else:
            events = [it.event for it in items[start : start + _ENCODE_STEP]]
        chunk = canonical_parts(events)
        del events
        parts.extend(chunk)
        got = digests(chunk)
        hashes.extend(got)
        key_slices.append(b"".join(d[:width] for d in got))
        del chunk, got
    plan = UploadPlan(
        upload_id=resume_id or uuid.uuid4().hex,
        resuming=resume_id is not None,
        target=target,
        source=source,
        options=options,
        batch_size=batch_size,
        max_payload_bytes=max_bytes,
        calls_per_minute=cpm,
        items=items,
        to_send=[],
        invalid_rows=list(invalid_rows),
        connection=connection,
        encoded=parts,
        hashes=hashes,
        event_id_fields=tuple(event_id_fields),
    )
    _lazy_lists(plan)
    # Positions in order: a range (no int object each) or an array, never a list.
    candidates: Sequence[int] = range(len(items))
    if resume_id is not None:
        candidates = _resume_candidates(journal, plan, resume_id)
    else:
        plan.track_id = check_track_id(options.track_id) if options.track_id else new_track_id()

    def key(pos: int) -> bytes:
        block, i = divmod(pos, per)
        return key_slices[block][i * width : (i + 1) * width]

    def keys(positions: Sequence[int]) -> Iterator[bytes]:
        """``map(key, positions)``; a run within one encoded slice (a new upload's
        candidates are a range) is cut by slice objects made in C, not a call each."""
        if isinstance(positions, range) and positions.step == 1 and len(positions):
            block, first = divmod(positions.start, per)
            if (positions.stop - 1) // per == block:
                lo = first * width
                hi = lo + len(positions) * width
                cuts = map(slice, range(lo, hi, width), range(lo + width, hi + width, width))
                return map(key_slices[block].__getitem__, cuts)
        return map(key, positions)

    # Per hash, the earlier uploads still to match, oldest first: one upload ID alone as
    # a str (the common case: no list per event), more as a list. Asked a slice of
    # candidates at a time (never a copy of every hash, nor a dict of them all): each
    # key once, or again in a later slice when the journal had nothing for it.
    accepted_left: dict[bytes, str | list[str]] = {}
    uncertain_left: dict[bytes, str | list[str]] = {}
    # Refused by Zuora before (not a multiset: each occurrence sent again is told of it).
    refused: set[bytes] = set()
    # Accepted before, by this upload (the last one found): a copy left over once each
    # earlier acceptance has covered an occurrence is another copy of an event Zuora has.
    received: dict[bytes, str] = {}

    def learn(found: dict[bytes, list[tuple[EventStatus, str]]]) -> None:
        for h, earlier in found.items():
            if any(s == EventStatus.REJECTED for s, _uid in earlier):
                refused.add(h)
            for s, uid in earlier:
                if s == EventStatus.ACCEPTED:
                    received[h] = uid
            for st, left in (
                (EventStatus.ACCEPTED, accepted_left),
                (EventStatus.UNCERTAIN, uncertain_left),
            ):
                uids = [uid for s, uid in earlier if s == st]
                if uids:
                    left[h] = uids[0] if len(uids) == 1 else uids

    # Each occurrence of an event in the file uses up one earlier upload of it, so the
    # journal need say no more than that many per hash (k earlier uploads: k each); first
    # one each, then, for the keys found that occur more than once, as many as they do.
    repeats: dict[bytes, int] = {}  # found keys occurring more than once -> how often
    total = len(candidates)
    for start in range(0, total, _STEP):
        step(start, total, "Checking what was sent before…")
        counts = Counter(keys(candidates[start : start + _STEP]))
        new = {
            h: None
            for h in counts
            if h not in accepted_left and h not in uncertain_left and h not in refused
        }
        if new:
            learn(
                journal.prior_statuses(
                    target.meter_key, list(new), resume_id, most=1, refusals=True
                )
            )
        for h, c in counts.items():
            if h in accepted_left or h in uncertain_left:
                seen = 0 if h in new else repeats.get(h, 1)
                if seen + c > 1:
                    repeats[h] = seen + c
        del counts, new
    if repeats:
        most = max(repeats.values())
        again = list(repeats)
        del repeats
        for start in range(0, len(again), _STEP):
            step(total, total, "Checking what was sent before…")
            chunk = again[start : start + _STEP]
            learn(
                journal.prior_statuses(target.meter_key, chunk, resume_id, most=most, refusals=True)
            )
        del again
    step(total, total, "Checking what was sent before…")
    resend: Counter[bytes] = Counter()
    send_list = array("q")
    send: Sequence[int] = send_list
    duplicates, uncertain, resent_by_id = plan.duplicates, plan.uncertain, plan.resent_by_id
    assert isinstance(duplicates, _Findings)
    assert isinstance(uncertain, _Picked) and isinstance(resent_by_id, _Picked)
    skipped: dict[str, tuple[EventStatus, str]] = {}  # one mark per earlier upload
    held: dict[str, tuple[EventStatus, str]] = {}
    refused_before = plan.refused_before
    assert isinstance(refused_before, _Picked)
    copies = plan.copies
    assert isinstance(copies, _Findings)
    copied: dict[str, tuple[EventStatus, str]] = {}

    def skip(
        pos: int,
        uid: str,
        found: _Findings,
        marks: dict[str, tuple[EventStatus, str]],
        words: str,
    ) -> None:
        """An event Zuora has (a duplicate, or a copy over those received): found, and
        sent only with ``allow_duplicates``, else marked skipped (one mark per upload)."""
        found.add(pos, uid)
        if options.allow_duplicates:
            send_list.append(pos)
            return
        mark = marks.get(uid)
        if mark is None:
            mark = marks[uid] = (EventStatus.SKIPPED, words.format(uid=uid))
        plan.marks[pos] = mark

    if not accepted_left and not uncertain_left and not refused:  # nothing sent before
        send = candidates
        candidates = ()
    for pos in candidates:
        h = key(pos)
        # Multiset: each earlier acceptance covers one occurrence of the event.
        uid = _take(accepted_left, h)
        if uid is not None:
            skip(pos, uid, duplicates, skipped, _ALREADY)
        elif (uid := _take(uncertain_left, h)) is not None:
            if _safe_to_resend(plan, items[pos]):
                resent_by_id.add(pos)
                resend[h] += 1
                send_list.append(pos)
                continue
            uncertain.add(pos)
            if options.resend_uncertain:
                resend[h] += 1
                send_list.append(pos)
            else:
                mark = held.get(uid)
                if mark is None:
                    mark = held[uid] = (
                        EventStatus.HELD,
                        f"Not sent again: upload {uid} sent this event without an answer.",
                    )
                plan.marks[pos] = mark
        elif (uid := received.get(h)) is not None:  # one more copy than Zuora has
            skip(pos, uid, copies, copied, _COPY)
        else:
            send_list.append(pos)
            if h in refused:
                refused_before.add(pos)
    if refused_before:
        sample = [plan.hashes[p] for p in refused_before.positions()[:_REASONS_SAMPLE]]
        said = journal.refusal_reasons(target.meter_key, sample, resume_id)
        plan.refusal_reasons = dict(Counter(_reason_words(said.get(h, "")) for h in sample))
    key_slices.clear()  # 16 bytes an event, not needed to send
    all_sizes = parts.sizes()
    # Positions are their own indices then (``send`` ascends, each position at most once).
    in_order = len(send) == len(items)
    sizes = all_sizes if in_order else array("q", (all_sizes[p] for p in send))
    del all_sizes
    batches, too_large = make_batches(sizes, batch_size, max_bytes, ranges=in_order)
    big = {send[i] for i in too_large}
    over = plan.too_large
    assert isinstance(over, _Picked)
    for pos in sorted(big):
        over.add(pos)
        plan.marks[pos] = (
            EventStatus.REJECTED,
            f"This event alone is {parts.size(pos):,} bytes, more than one call may carry "
            f"({max_bytes:,} bytes); shorten its values.",
        )
    plan.send_positions = array("q", (p for p in send if p not in big)) if big else send
    plan.to_send = _Picked(items, plan.send_positions)
    if not in_order:
        batches = [array("q", [send[i] for i in group]) for group in batches]
    plan.batches = batches
    plan.batches_total = len(batches)
    plan.resend_hashes = dict(resend)
    return plan


_ALREADY = "Already received by upload {uid}."
_COPY = (
    "Not sent: a copy of an event already received by upload {uid}; the file holds more "
    "copies of it than were received."
)


def _take(left: dict[bytes, str | list[str]], h: bytes) -> str | None:
    """The oldest earlier upload of ``h`` not yet matched, used up; None when none is."""
    got = left.get(h)
    if got is None:
        return None
    if isinstance(got, str):
        del left[h]
        return got
    uid = got.pop(0)
    if not got:
        del left[h]
    return uid


def _lazy_lists(plan: UploadPlan) -> None:
    """The plan's lists of items as positions (see :class:`_Picked`)."""
    items = plan.items
    plan.duplicates = _Findings(items)
    plan.uncertain = _Picked(items)
    plan.resent_by_id = _Picked(items)
    plan.already_done = _Picked(items)
    plan.too_large = _Picked(items)
    plan.refused_before = _Picked(items)
    plan.copies = _Findings(items)


def _safe_to_resend(plan: UploadPlan, item: UploadItem) -> bool:
    """An uncertain event the meter will drop if it already has it (and that the user did
    not ask to resend anyway): ``meter_deduplicates`` and a filled event ID."""
    options = plan.options
    return (
        options.meter_deduplicates
        and not options.resend_uncertain
        and _has_id(item, plan.event_id_fields)
    )


_DONE = (
    EventStatus.ACCEPTED,
    EventStatus.KEPT,
    EventStatus.REJECTED,
    EventStatus.REJECTED_AFTER_RECEIPT,
)


_KEY_BYTES = len(hash_key(bytes(32)))  # what the journal keeps of a digest
_DONE_CODES = frozenset(tuple(EventStatus).index(s) for s in _DONE)
_ACCEPTED_CODES = frozenset(
    tuple(EventStatus).index(s) for s in (EventStatus.ACCEPTED, EventStatus.KEPT)
)
_OPEN_CODES = frozenset(
    tuple(EventStatus).index(s) for s in (EventStatus.UNCERTAIN, EventStatus.SENDING)
)


def _same_hashes(cols: EventColumns, hashes: Sequence[bytes]) -> bool:
    """The journal's hash keys of a resumed upload are the file's now (a slice at a time:
    never a second copy of every hash)."""
    if cols.odd_keys:
        return False
    n, width = len(hashes), _KEY_BYTES
    if cols.in_order():
        for start in range(0, n, _ENCODE_STEP):
            end = min(n, start + _ENCODE_STEP)
            mine = b"".join(h[:width] for h in hashes[start:end])
            if cols.keys[start * width : end * width] != mine:
                return False
        return True
    return all(cols.key(i) == hashes[p][:width] for i, p in enumerate(cols.positions) if p < n)


def _resume_candidates(journal: Journal, plan: UploadPlan, resume_id: str) -> Sequence[int]:
    rec = journal.get_upload(resume_id)
    if rec is None:
        raise OptionsError(f"There is no upload {resume_id} in the journal; see 'history'.")
    if rec.status == UploadStatus.RUNNING:
        raise OptionsError(
            f"Upload {resume_id} is still running in another window or process; wait for it "
            "to finish or stop it first."
        )
    if rec.fingerprint != plan.source.fingerprint:
        raise OptionsError(
            f"Upload {resume_id} was of another file, sheet or mapping ({rec.file_name}, "
            f"sheet '{rec.sheet}'); resume it with exactly the same file and options."
        )
    if rec.meter_key != plan.target.meter_key:
        raise OptionsError(
            f"Upload {resume_id} went to {rec.meter_url}, not to {plan.target.url}; it can "
            "only be continued to that meter."
        )
    # Columns, not an EventRow per event (1,048,575 of those were 269 MiB, held until the
    # sender started); the sender's ledger starts from them.
    cols = journal.event_columns(resume_id)
    if len(cols) != len(plan.items) or not _same_hashes(cols, plan.hashes):
        raise OptionsError(
            f"The events of upload {resume_id} differ from the file's now (another time zone "
            "or date format?); resume with the same options as the first time."
        )
    plan.prior_events = cols
    plan.track_id = rec.track_id
    candidates = array("q")
    done, uncertain, resent_by_id = plan.already_done, plan.uncertain, plan.resent_by_id
    assert isinstance(done, _Picked) and isinstance(uncertain, _Picked)
    assert isinstance(resent_by_id, _Picked)
    accepted = 0
    for pos, code in zip(cols.positions, cols.statuses, strict=True):
        if code in _DONE_CODES:
            done.add(pos)
            accepted += code in _ACCEPTED_CODES
        elif code in _OPEN_CODES:
            if _safe_to_resend(plan, plan.items[pos]):
                resent_by_id.add(pos)
                candidates.append(pos)
                continue
            uncertain.add(pos)
            if plan.options.resend_uncertain:
                candidates.append(pos)
        else:  # pending, skipped, held, resent: look at them again
            candidates.append(pos)
    plan.accepted_before += accepted
    return candidates
