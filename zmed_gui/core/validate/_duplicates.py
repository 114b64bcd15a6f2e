"""Duplicate events: the warning on each row whose event equals an earlier row's.

Events are indexed by the hash of their values in ``ValidationResult._dups`` (hash ->
the row, or the sorted rows, with that hash), and each warned row's earlier twin is kept
in ``ValidationResult._twins``. :func:`find_duplicates` builds both after a validation;
:func:`forget`, :func:`register` and :func:`recheck_bucket` keep them, and the warnings,
right when rows are revalidated.

Generated fields (the row ID) are left out of the comparison: two identical rows get
different IDs (their row numbers differ), but the usage would still be counted twice.
"""

from __future__ import annotations

import bisect
from collections.abc import Collection, Sequence
from typing import Any

from zmed_gui.core.table import SHARE_STEP
from zmed_gui.core.validate._result import (
    HashIndex,
    Issue,
    RowStatus,
    Severity,
    ValidationResult,
)

DUPLICATE = "duplicate"
STEP = SHARE_STEP  # rows per native call when the index is built (see find_duplicates)


def event_hash(event: dict[str, Any], skip: Collection[str] = ()) -> int:
    """The hash of the event's values, leaving out the fields in ``skip`` (generated)."""
    if skip:
        return hash(tuple(v for k, v in event.items() if k not in skip))
    return hash(tuple(event.values()))


def _same(a: dict[str, Any] | None, b: dict[str, Any] | None, skip: Collection[str]) -> bool:
    if not skip or a is None or b is None:
        return a == b
    return {k: v for k, v in a.items() if k not in skip} == {
        k: v for k, v in b.items() if k not in skip
    }


def duplicate_issue(result: ValidationResult, row: int, first: int) -> Issue:
    table = result.table
    place = table.where(row)
    number = table.row_numbers[first]  # plainly, as Table.where writes it
    return Issue(
        row, None, None, DUPLICATE,
        f"{place[0].upper()}{place[1:]}: this row's event is identical to the one from row "
        f"{number}, so the usage would be counted twice; exclude one of them unless that is "
        "intended.",
        Severity.WARNING,
    )  # fmt: skip


def register(result: ValidationResult, row: int, h: int) -> int | list[int] | None:
    """Put ``row`` under hash ``h``; returns the earlier holder, or the held rows (now
    with ``row``), or None when ``row`` is the first with this hash."""
    dups = result._dups
    held = dups.get(h)
    if held is None:
        dups[h] = row
        return None
    if isinstance(held, int):
        dups[h] = sorted((held, row))
    else:
        bisect.insort(held, row)
    return held


def _earlier_twin(result: ValidationResult, row: int, event: dict[str, Any], h: int) -> int | None:
    """The first earlier row with an identical event, registering ``row`` under ``h``."""
    held = register(result, row, h)
    if held is None:
        return None
    events = result.events
    for other in [held] if isinstance(held, int) else held:
        if other < row and _same(events[other], event, result._generated):
            return other
    return None


def find_duplicates(result: ValidationResult, hashes: list[int], no_event: list[int]) -> None:
    """Index every event by hash and warn on each row equal to an earlier one."""
    rows: Sequence[int]
    if no_event:
        skip = set(no_event)
        rows = [i for i in range(len(hashes)) if i not in skip]
        keys = [hashes[i] for i in rows]
    else:
        rows = range(len(hashes))  # no list: a million row numbers are made only once
        keys = hashes
    # Built backwards, so each hash keeps its first row. Into 16 dicts by the hash's low
    # bits, by a plain loop: one dict of a million rows grew by rehashing it all in one
    # native call (60-120 ms with the GIL held, while the window waited), and a bulk
    # update() of a slice is one such call too; a loop lets the GIL go as it runs.
    index = HashIndex()
    parts, mask = index.parts(), HashIndex._MASK
    for end in range(len(keys), 0, -STEP):
        start = max(0, end - STEP)
        for h, i in zip(reversed(keys[start:end]), reversed(rows[start:end]), strict=True):
            parts[h & mask][h] = i
    result._dups = index
    result._twins = {}
    if len(index) == len(keys):
        return  # no two events share a hash: no duplicates
    events, statuses, row_issues = result.events, result.statuses, result._row_issues
    twins = result._twins
    later = [(i, h) for i, h in zip(rows, keys, strict=True) if parts[h & mask][h] != i]
    for i, h in later:
        event = events[i]
        assert event is not None
        twin = _earlier_twin(result, i, event, h)
        if twin is not None:
            twins[i] = twin
            row_issues.setdefault(i, []).append(duplicate_issue(result, i, twin))
            if statuses[i] is RowStatus.VALID:
                statuses[i] = RowStatus.WARNING


def forget(result: ValidationResult, row: int) -> int | None:
    """Take ``row`` out of the duplicate index; returns its old hash."""
    event = result.events[row]
    if event is None:
        return None
    h = event_hash(event, result._generated)
    held = result._dups.get(h)
    if held == row:
        del result._dups[h]
    elif isinstance(held, list) and row in held:
        held.remove(row)
        if len(held) == 1:
            result._dups[h] = held[0]
    return h


def recheck_bucket(result: ValidationResult, h: int, touched: set[int], changed: set[int]) -> None:
    """Redo the duplicate warnings of every row registered under hash ``h``.

    Adds every row of the bucket to ``touched`` and the rows whose warning changed to
    ``changed``. A row's warning is only rebuilt when its twin differs from the one in
    ``result._twins``, so a row edited out of a large group of equal events costs one
    comparison per row of the group, not a new message for each.
    """
    held = result._dups.get(h)
    if held is None:
        return
    rows = [held] if isinstance(held, int) else held
    events, twins = result.events, result._twins
    firsts: list[int] = []  # the first row of each distinct event in the bucket so far
    for row in rows:
        event = events[row]
        twin = next((o for o in firsts if _same(events[o], event, result._generated)), None)
        if twin is None:
            firsts.append(row)
        if twins.get(row) != twin:
            issues = [i for i in result._row_issues.get(row, ()) if i.code != DUPLICATE]
            if twin is None:
                del twins[row]
            else:
                twins[row] = twin
                issues.append(duplicate_issue(result, row, twin))
            result.set_row(row, issues)
            changed.add(row)
    touched.update(rows)
