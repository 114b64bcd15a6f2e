"""What several uploads of the same rows did, together; and what is still to send."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from zmed_gui.core.report import RowOutcome, RowUpload, shown_value
from zmed_gui.core.table import CellValue
from zmed_gui.core.validate import RowStatus, ValidationResult

# Outcomes after which a row is never sent again by itself: received, already there, or
# sent without an answer (it may have arrived; only the user's explicit resend sends it).
DELIVERED = frozenset({RowOutcome.ACCEPTED, RowOutcome.SKIPPED, RowOutcome.UNCERTAIN})

FIXED_NOT_SENT = "Fixed after the upload; not sent yet."


def merge_outcomes(
    earlier: Mapping[int, RowUpload], later: Mapping[int, RowUpload]
) -> dict[int, RowUpload]:
    """``earlier`` updated with ``later`` (a later upload of some of the same rows).

    A row ``later`` only reports as "not sent" keeps what ``earlier`` said of it: an
    upload of the fixed rows alone says nothing new about the rows it left alone.
    """
    merged = dict(earlier)
    for row, up in later.items():
        if up.status == RowOutcome.NOT_SENT and row in merged:
            continue
        merged[row] = up
    return merged


def not_yet_sent(result: ValidationResult, outcomes: Mapping[int, RowUpload]) -> list[int]:
    """Rows the file would send now that no upload delivered (file order).

    These are the rows fixed (or included again) after an upload, and those an upload
    rejected or did not reach: sending exactly these never resends a delivered one. One
    pass over the statuses (the Upload step calls it on its thread, once per change).
    """
    if result.mapping_problems:
        return []
    delivered = {row for row, up in outcomes.items() if up.status in DELIVERED}
    events = result.events
    valid, warning = RowStatus.VALID, RowStatus.WARNING
    return [
        i
        for i, s in enumerate(result.statuses)
        if (s is valid or s is warning) and i not in delivered and events[i] is not None
    ]


def describe_now(
    result: ValidationResult, outcomes: Mapping[int, RowUpload], rows: Iterable[int]
) -> dict[int, RowUpload]:
    """``outcomes`` with the rows fixed since the upload said so (for the result file)."""
    out = dict(outcomes)
    for row in rows:
        up = out.get(row)
        sendable = result.statuses[row] in (RowStatus.VALID, RowStatus.WARNING)
        if sendable and (up is None or up.status == RowOutcome.NOT_SENT):
            out[row] = RowUpload(RowOutcome.NOT_SENT, FIXED_NOT_SENT)
    return out


# (column, the value sent, the value now) for each cell of a row changed after it was sent
ChangedCells = Sequence[tuple[int, CellValue, CellValue]]


def say_what_was_sent(
    rows: Mapping[int, RowUpload],
    after: Mapping[int, ChangedCells],
    pending: Iterable[int],
    headers: Sequence[str],
) -> dict[int, RowUpload]:
    """The report's words for rows changed after they were sent: what was sent (the cells
    hold the values now), and that they were not sent again; a rejected row changed since
    is not sent yet. Only those rows are in the answer."""
    out: dict[int, RowUpload] = {}
    for r, cells in after.items():
        up = rows.get(r)
        if up is None:
            continue
        were = "; ".join(
            f"{headers[c] if c < len(headers) else c} {shown_value(was)}, now {shown_value(now)}"
            for c, was, now in sorted(cells, key=lambda x: x[0])
        )
        out[r] = RowUpload(
            up.status,
            f"Changed after it was sent; not sent again. Sent with {were}.",
            up.request_id,
        )
    for r in pending:
        up = rows.get(r)
        if up is not None and up.status == RowOutcome.REJECTED:
            why = f" It was rejected: {up.message}" if up.message else ""
            out[r] = RowUpload(
                RowOutcome.NOT_SENT, f"Changed after it was rejected; not sent yet.{why}"
            )
    return out


def report_outcomes(
    result: ValidationResult,
    outcomes: Mapping[int, RowUpload],
    pending: Sequence[int] = (),
    after: Mapping[int, ChangedCells] | None = None,
) -> dict[int, RowUpload]:
    """Each row's upload outcome as the result report states it, from what the session
    holds (no journal read): ``outcomes`` (every upload of these rows, merged), with the
    rows fixed since and not sent yet (``pending``, :func:`describe_now`) and the rows
    changed after they were sent (``after``: row -> changed cells) said so.

    Walks ``pending`` and ``after`` only; the rows of a batch keep sharing one
    :class:`RowUpload`, which keeps the report's rows plain (fast).
    """
    rows = describe_now(result, outcomes, pending)
    rows.update(say_what_was_sent(rows, after or {}, pending, result.table.headers))
    return rows
