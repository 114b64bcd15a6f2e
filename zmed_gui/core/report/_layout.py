"""The report's columns, and each data row laid out in them (values and filled cells)."""

from __future__ import annotations

import bisect
import itertools
import operator
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from openpyxl.styles import PatternFill

from zmed_gui.core.progress import CancelToken, ProgressCallback
from zmed_gui.core.report._cells import AMBER, RED
from zmed_gui.core.report._outcome import (
    _STATUS_TEXT,
    LEFT_OUT_REASON,
    RowOutcome,
    RowUpload,
    shown_value,
)
from zmed_gui.core.table import Table
from zmed_gui.core.validate import Issue, RowStatus, Severity


class ResultLike(Protocol):
    """What the report needs from :class:`zmed_gui.core.validate.ValidationResult`."""

    @property
    def table(self) -> Table: ...

    @property
    def statuses(self) -> Sequence[RowStatus]: ...

    def issues_for_row(self, row: int) -> Sequence[Issue]: ...


@dataclass
class ReportRow:
    """One output row before it is written: plain values and which cells to fill."""

    values: list[Any]
    fills: dict[int, PatternFill]  # output column -> fill


class Layout:
    """The output columns for a table, and how each data row is laid out in them."""

    def __init__(
        self,
        result: ResultLike,
        uploads: Mapping[int, RowUpload] | None,
        edits: Mapping[tuple[int, int], Any] | None = None,
    ) -> None:
        self.result = result
        self.table = result.table
        self.uploads = uploads
        # (row, column) -> the value before the user changed it in Review
        self.edits = edits or {}
        self._edited_rows: dict[int, list[int]] = {}
        for row, col in sorted(self.edits):
            if 0 <= col < self.table.column_count:
                self._edited_rows.setdefault(row, []).append(col)
        taken = {h.casefold() for h in self.table.headers}
        ours = ["Status", "Errors"]
        if self.edits:
            ours.append("Changed in Review")
        if uploads is not None:
            ours += ["Upload status", "Upload message", "Zuora-Request-Id"]
        self.row_header = _unique("Row", taken)
        self.extra = [_unique(h, taken) for h in ours]
        self.headers = [self.row_header, *self.table.headers, *self.extra]
        self.status_col = 1 + self.table.column_count
        self.errors_col = self.status_col + 1
        self.changes_col = self.errors_col + 1 if self.edits else None
        self.upload_col = self.errors_col + (2 if self.edits else 1)
        # Rows whose upload cell is filled (xlsx): rejected or uncertain, in order; found
        # when first asked (a writer without fills never asks).
        self._filled: list[int] | None = None
        # id(RowUpload or None) -> the plain row's tail: an upload shares one RowUpload
        # among the rows of a batch, so a few of these serve 300k rows (``_kept`` keeps
        # each object alive while its id is a key).
        self._tails: dict[int, tuple[Any, ...]] = {}
        self._kept: dict[int, RowUpload | None] = {}

    def row(self, i: int) -> ReportRow:
        status = self.result.statuses[i]
        issues = self.result.issues_for_row(i)
        values = self._values(i, status, issues)
        column_count = self.table.column_count
        fills: dict[int, PatternFill] = {}
        for issue in issues:
            if issue.column is None or not 0 <= issue.column < column_count:
                continue
            out = 1 + issue.column
            if issue.severity is Severity.ERROR:
                fills[out] = RED
            elif out not in fills:
                fills[out] = AMBER
        if status is RowStatus.INVALID:
            fills[self.status_col] = RED
        elif status is RowStatus.WARNING:
            fills[self.status_col] = AMBER
        if self.uploads is not None:
            up = values[self.upload_col]
            if up == "rejected":
                fills[self.upload_col] = RED
            elif up == "uncertain":
                fills[self.upload_col] = AMBER
        return ReportRow(values, fills)

    def row_values(self, i: int) -> list[Any]:
        """``row(i).values`` without the fills (a writer without fills: CSV)."""
        return self._values(i, self.result.statuses[i], self.result.issues_for_row(i))

    def row_tail(self, i: int) -> list[Any]:
        """``row_values(i)`` after the cells (Status onwards): the row number and the cells
        are the table's own, so a writer that has those need not lay them out again."""
        return self._tail(i, self.result.statuses[i], self.result.issues_for_row(i))

    def tail_columns(self, rows: Sequence[int]) -> list[list[Any]]:
        """:meth:`row_tail` of each of ``rows``, column by column (Status, Errors, ...).

        No list per row: a list kept per row (a third of a million rows with a warning)
        is work for the garbage collector, whose full passes walk every object held.
        """
        statuses, issues_for = self.result.statuses, self.result.issues_for_row
        row_statuses = list(map(statuses.__getitem__, rows))
        columns: list[list[Any]] = [list(map(_STATUS_TEXT.__getitem__, row_statuses))]
        uploads = self.uploads
        if uploads is None:
            pairs = zip(rows, row_statuses, strict=True)
            columns.append([self._errors(s, issues_for(i)) for i, s in pairs])
            if self.edits:
                columns.append([self._changes(i) for i in rows])
            return columns
        errors: list[str] = []
        outcomes: list[Any] = []
        messages: list[str] = []
        ids: list[str] = []
        for i, status in zip(rows, row_statuses, strict=True):
            issues = issues_for(i)
            errors.append(self._errors(status, issues))
            up = uploads.get(i)
            if up is None:
                up = RowUpload(RowOutcome.NOT_SENT)
            outcomes.append(up.status)
            messages.append(up.message or self._not_sent_reason(i, status, up, issues))
            ids.append(up.request_id or "")
        columns.append(errors)
        if self.edits:
            columns.append([self._changes(i) for i in rows])
        return [*columns, outcomes, messages, ids]

    def _values(self, i: int, status: RowStatus, issues: Sequence[Issue]) -> list[Any]:
        table = self.table
        values: list[Any] = [table.row_numbers[i], *[col[i] for col in table.columns]]
        values += self._tail(i, status, issues)
        return values

    def _tail(self, i: int, status: RowStatus, issues: Sequence[Issue]) -> list[Any]:
        values: list[Any] = [_STATUS_TEXT[status], self._errors(status, issues)]
        if self.edits:
            values.append(self._changes(i))
        if self.uploads is not None:
            up = self.uploads.get(i)
            if up is None:
                up = RowUpload(RowOutcome.NOT_SENT)
            message = up.message or self._not_sent_reason(i, status, up, issues)
            values.extend([up.status, message, up.request_id or ""])
        return values

    def _errors(self, status: RowStatus, issues: Sequence[Issue]) -> str:
        """The Errors cell: the row's problems, or why it was left out."""
        if len(issues) == 1:
            return self._problem(issues[0])
        if issues:
            return "; ".join([self._problem(issue) for issue in issues])
        return LEFT_OUT_REASON if status is RowStatus.EXCLUDED else ""

    def _changes(self, i: int) -> str:
        """What the user changed in this row: ``Qty: "abc" -> 4``, one per cell."""
        cols = self._edited_rows.get(i)
        if not cols:
            return ""
        table = self.table
        return "; ".join(
            f"{table.headers[c]}: {shown_value(self.edits[(i, c)])} \u2192 "
            f"{shown_value(table.columns[c][i])}"
            for c in cols
        )

    def _not_sent_reason(
        self, i: int, status: RowStatus, up: RowUpload, issues: Sequence[Issue]
    ) -> str:
        """Why a row the upload did not send stayed behind, when the upload said nothing."""
        if up.status != RowOutcome.NOT_SENT:
            return ""
        if status is RowStatus.EXCLUDED:
            return LEFT_OUT_REASON
        errors = [x for x in issues if x.severity is Severity.ERROR]
        if status is RowStatus.INVALID and errors:
            return "Invalid: " + "; ".join(self._problem(x) for x in errors)
        return ""

    def special_rows(self, start: int, stop: int, *, fills: bool = True) -> list[int]:
        """The rows in ``[start, stop)`` that :meth:`row` may lay out other than a plain
        row: anything but the row number, its cells and its :meth:`plain_tails`.

        Fast writers lay out only these with :meth:`row` (keep the two in step: a row
        whose output can differ from a plain row's must be listed here). ``fills``
        False: a writer without fills (CSV) need not lay out the rows whose only
        difference is a filled upload cell (rejected, uncertain).
        """
        statuses = self.result.statuses[start:stop]
        valid = RowStatus.VALID
        rows: list[int] = []
        if statuses.count(valid) != len(statuses):  # in C: a flag per row, then the rows
            flags = map(operator.is_not, statuses, itertools.repeat(valid))
            rows = list(itertools.compress(range(start, stop), flags))
        more: list[int] = []
        if fills and self._filled_uploads():
            ups = self._filled_uploads()
            more += ups[bisect.bisect_left(ups, start) : bisect.bisect_left(ups, stop)]
        if self._edited_rows:
            more += [i for i in self._edited_rows if start <= i < stop]
        if not more:
            return rows  # in order already
        return sorted(set(rows).union(more))

    def _filled_uploads(self) -> list[int]:
        if self._filled is None:
            filled = (RowOutcome.REJECTED, RowOutcome.UNCERTAIN)
            ups = self.uploads or {}
            self._filled = sorted(i for i, up in ups.items() if up.status in filled)
        return self._filled

    def plain_tails(self, start: int, stop: int) -> list[list[Any]]:
        """The columns after the cells (Status to Zuora-Request-Id) of the rows in
        ``[start, stop)`` laid out as plain rows (valid, not edited): what :meth:`row`
        gives them, found per upload outcome, not per row."""
        count = stop - start
        head: list[Any] = [RowStatus.VALID.value, ""]
        if self.edits:
            head.append("")
        columns = [[v] * count for v in head]
        if self.uploads is None:
            return columns
        ups = list(map(self.uploads.get, range(start, stop)))
        keys = list(map(id, ups))  # all in C: no Python step per row
        tails, kept = self._tails, self._kept
        for key, up in dict(zip(keys, ups, strict=True)).items():
            if key not in tails:
                tails[key], kept[key] = self._upload_tail(up), up
        if len(tails) == 1:  # one outcome for every row
            (tail,) = tails.values()
            return columns + [[v] * count for v in tail]
        rows = list(map(tails.__getitem__, keys))
        if not rows:
            return columns + [[] for _ in range(3)]
        # Column by column (zip(*rows) over 10,000 rows is slower: an argument a row).
        return columns + [list(map(operator.itemgetter(j), rows)) for j in range(3)]

    @staticmethod
    def _upload_tail(up: RowUpload | None) -> tuple[Any, ...]:
        """A valid row's upload cells (:meth:`row` says the same, without a reason)."""
        if up is None:
            return (RowOutcome.NOT_SENT.value, "", "")
        return (str(up.status), up.message, up.request_id or "")

    def _problem(self, issue: Issue) -> str:
        return f"{issue.label(self.table)}: {issue.message}"


def _unique(name: str, taken: set[str]) -> str:
    candidate = name
    n = 1
    while candidate.casefold() in taken:
        n += 1
        candidate = f"{name} (result)" if n == 2 else f"{name} (result {n - 1})"
    taken.add(candidate.casefold())
    return candidate


def layout_rows(
    layout: Layout, progress: ProgressCallback, cancel: CancelToken | None
) -> Iterator[ReportRow]:
    """Every data row laid out, with progress and cancel checks along the way."""
    total = len(layout.table)
    progress(0, total, "Writing the result file")
    for i in range(total):
        if i % 1000 == 0 and cancel is not None:
            cancel.raise_if_cancelled()
        if i and i % 10_000 == 0:
            progress(i, total, "Writing the result file")
        yield layout.row(i)
    progress(total, total, "Writing the result file")
