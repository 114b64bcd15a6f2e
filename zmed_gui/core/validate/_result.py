"""The outcome of a validation: one event, status and issue list per row, and the
queries the GUI, the CLI and the report make on it.

Row counts and the flat issue list are kept, not recomputed on each call: validation
builds them once and every later change to a row goes through
:meth:`ValidationResult.set_row` (``revalidate_rows`` uses it), which adjusts them. So
change ``statuses`` and ``excluded`` only through ``revalidate_rows``.
"""

from __future__ import annotations

import bisect
import dataclasses
import itertools
import operator
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from zmed_gui.core.convert import ConversionOptions
from zmed_gui.core.mapping import Mapping
from zmed_gui.core.schema import Schema
from zmed_gui.core.table import SHARE_STEP, Table
from zmed_gui.core.validate._events import EventList
from zmed_gui.core.validate._mapping import FieldPlan

# More changed rows than this in one go: the flat issue list is dropped and rebuilt on
# its next use, rather than patched row by row.
SPLICE_LIMIT = 64


class Severity(StrEnum):
    ERROR = "error"  # the row is invalid and will not be sent
    WARNING = "warning"  # the row is sent, but the user should look


class RowStatus(StrEnum):
    VALID = "valid"
    WARNING = "warning"
    # not sent: a cell has an error, or the mapping has problems (then every row not left
    # out is INVALID, so no count says "valid" while nothing can be sent)
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

    def label(self, table: Table) -> str:
        """Where the problem is, in the user's words: the field, else the column's heading,
        else "Row"."""
        if self.field:
            return self.field
        if self.column is not None and 0 <= self.column < table.column_count:
            return table.headers[self.column]
        return "Row"


class HashIndex:
    """Event hash -> the row (or sorted rows) with it: a dict in 16 parts by the hash's
    low bits. One dict of a million events grows by rehashing all it holds in one native
    call (~60 ms with the GIL held, the window waiting); a part is a sixteenth of that."""

    __slots__ = ("_parts",)
    _MASK = 15

    def __init__(self) -> None:
        self._parts: list[dict[int, int | list[int]]] = [{} for _ in range(self._MASK + 1)]

    def get(self, h: int) -> int | list[int] | None:
        return self._parts[h & self._MASK].get(h)

    def __getitem__(self, h: int) -> int | list[int]:
        return self._parts[h & self._MASK][h]

    def __setitem__(self, h: int, held: int | list[int]) -> None:
        self._parts[h & self._MASK][h] = held

    def __delitem__(self, h: int) -> None:
        del self._parts[h & self._MASK][h]

    def __contains__(self, h: object) -> bool:
        return isinstance(h, int) and h in self._parts[h & self._MASK]

    def __len__(self) -> int:
        return sum(map(len, self._parts))

    def parts(self) -> list[dict[int, int | list[int]]]:
        """The 16 dicts (a hash ``h`` is in part ``h & 15``)."""
        return self._parts


@dataclass
class ProblemGroup:
    """Issues of one code on one field, for a summary.

    One code can hold different problems ("expected a finite number" and "expected a number
    such as 12.5"): ``kinds`` says how many, and ``examples`` holds the first message of
    each (up to :data:`EXAMPLES`), so a face never shows one example as true for all.
    """

    field: str | None
    code: str
    severity: Severity
    count: int
    example: str  # the first issue's message
    rows: list[int]  # Excel row numbers of the first 10
    kinds: int = 1  # how many different problems (messages of different shapes)
    examples: list[str] = dataclasses.field(default_factory=list)  # the first message of each kind

    @property
    def mixed(self) -> bool:
        """True when the group's cells have different problems (see ``examples``)."""
        return self.kinds > 1

    def headline(self) -> str:
        """What is wrong in the whole group, without the place of one cell.

        "expected a whole number" for a group of one kind; "3 different problems" else.
        """
        if self.mixed:
            return f"{self.kinds:,} different problems"
        return without_place(self.example)

    def example_texts(self) -> list[str]:
        """The examples (one per kind) without the place of their cell."""
        return [without_place(e) for e in self.examples or [self.example]]


EXAMPLES = 3  # examples kept per group, one per kind

_VALUE_CHARS = "0123456789'\""  # a value shown in a message ends with one of these
_VALUES = re.compile(r"'[^']*'|\"[^\"]*\"|[0-9][0-9.,]*")


def without_place(message: str) -> str:
    """A cell's message without its place ("Sheet 'U', row 5, column D (Qty), field X: ")."""
    head, sep, rest = message.partition(": ")
    if sep and rest and ("row" in head.lower() or "sheet" in head.lower()):
        return rest[:1].upper() + rest[1:]
    return message


def problem_kind(message: str) -> str:
    """The shape of a message: what is expected, or its words after the last value.

    Two cells have the same kind of problem when these are equal: "found 'x'; expected a
    number" and "found 'y'; expected a number" are one kind, "expected a finite number"
    another; "...identical to the one from row 7, so ..." is one kind whatever the row.
    The result is a suffix of ``message`` (except for a message without any value whose
    place was cut off, which is its own kind).
    """
    _found, sep, expected = message.rpartition("; expected ")
    if sep:
        return sep + expected
    text = without_place(message)
    last = max(text.rfind(c) for c in _VALUE_CHARS)
    tail = text[last + 1 :] if last >= 0 else text
    if tail.strip(" ."):
        return tail
    # It ends with a value ("...; turn on the decimal-comma option or write it as 1234.50"):
    # its words with the values taken out (not a suffix: such groups take the slow path).
    return _VALUES.sub("…", text)


def status_of(issues: Sequence[Issue] | None) -> RowStatus:
    """The status of a row that is not excluded, from its issues."""
    if not issues:
        return RowStatus.VALID
    if any(i.severity is Severity.ERROR for i in issues):
        return RowStatus.INVALID
    return RowStatus.WARNING


_BY_ROW = operator.attrgetter("row")
_SENT = frozenset({RowStatus.VALID, RowStatus.WARNING})


@dataclass
class ValidationResult:
    table: Table
    schema: Schema
    mapping: Mapping
    options: ConversionOptions
    events: EventList  # per data row (a dict, fields in schema order, or None)
    statuses: list[RowStatus]  # per data row
    mapping_problems: list[str]
    excluded: set[int]
    _plans: list[FieldPlan] = field(default_factory=list, repr=False, compare=False)
    # fields filled with the generated row ID (not in _plans; left out of duplicate checks)
    _generated: list[str] = field(default_factory=list, repr=False, compare=False)
    _row_issues: dict[int, list[Issue]] = field(default_factory=dict, repr=False, compare=False)
    # hash of an event's values -> the row (or sorted rows) with that hash
    _dups: HashIndex = field(default_factory=lambda: HashIndex(), repr=False, compare=False)
    # row with a duplicate warning -> the earlier row its event is identical to
    _twins: dict[int, int] = field(default_factory=dict, repr=False, compare=False)
    _counts: dict[RowStatus, int] = field(default_factory=dict, repr=False, compare=False)
    _flat: list[Issue] | None = field(default=None, repr=False, compare=False)

    # -- queries -----------------------------------------------------------------------

    @property
    def issues(self) -> list[Issue]:
        """Every problem, in row order (built on first use after a large change)."""
        flat = self._flat
        if flat is None:
            held = self._row_issues
            flat = self._flat = [issue for row in sorted(held) for issue in held[row]]
        return flat

    def issues_for_row(self, row: int) -> list[Issue]:
        return list(self._row_issues.get(row, ()))

    def issues_for_cell(self, row: int, column: int) -> list[Issue]:
        return [i for i in self._row_issues.get(row, ()) if i.column == column]

    @property
    def counts(self) -> dict[RowStatus, int]:
        """Rows per status (every status, in :class:`RowStatus` order); a copy."""
        if not self._counts:
            self.recount()
        return dict(self._counts)

    def valid_rows(self) -> list[int]:
        """Rows whose event will be sent (VALID or WARNING), in order."""
        if self.mapping_problems:
            return []
        statuses = self.statuses
        n = len(statuses)
        sendable = statuses.count(RowStatus.VALID) + statuses.count(RowStatus.WARNING)
        rows: list[int] = []
        # A slice per native call (each holds the GIL; over a million rows at once, the
        # window waited ~100 ms for it).
        if sendable == n and self.events.count_absent() == 0:
            for start in range(0, n, SHARE_STEP):  # every row is sent: the common case
                rows.extend(range(start, min(n, start + SHARE_STEP)))
            return rows
        # In C: a flag per row (sent status and an event), then the rows flagged.
        sent = map(_SENT.__contains__, statuses)
        flags = map(operator.and_, sent, self.events.presence())
        for start in range(0, n, SHARE_STEP):
            stop = min(n, start + SHARE_STEP)
            rows.extend(
                itertools.compress(range(start, stop), itertools.islice(flags, stop - start))
            )
        return rows

    def summary(self, top: int = 10) -> list[ProblemGroup]:
        """Issues grouped by (field, code), largest groups first; each group knows how many
        different problems (kinds of message) it holds."""
        groups: dict[tuple[str | None, str], ProblemGroup] = {}
        # per group: its kinds, the first kind (most issues are of it), where the value
        # before that kind ends, and whether it is an "expected" kind
        seen: dict[tuple[str | None, str], tuple[ProblemGroup, set[str], str, int, bool]] = {}
        row_numbers = self.table.row_numbers
        for issue in self.issues:
            key = (issue.field, issue.code)
            state = seen.get(key)
            message = issue.message
            if state is None:
                group = groups[key] = ProblemGroup(
                    issue.field, issue.code, issue.severity, 1, message,
                    [row_numbers[issue.row]], 1, [message],
                )  # fmt: skip
                kind = problem_kind(message)
                seen[key] = (group, {kind}, kind, -len(kind) - 1, kind.startswith("; expected "))
                continue
            group, kinds, first, before, expected = state
            group.count += 1
            if len(group.rows) < 10:
                number = row_numbers[issue.row]
                if group.rows[-1] != number:
                    group.rows.append(number)
            # the first kind, cheaply: problem_kind(message) == first (no "; expected "
            # can follow the last one; no value character is in a kind's words)
            if message.endswith(first) and (
                expected or (len(message) > len(first) and message[before] in _VALUE_CHARS)
            ):
                continue
            kind = problem_kind(message)
            if kind not in kinds:
                kinds.add(kind)
                group.kinds += 1
                if len(group.examples) < EXAMPLES:
                    group.examples.append(message)
        ordered = sorted(
            groups.values(), key=lambda g: (g.severity is not Severity.ERROR, -g.count)
        )
        return ordered[:top]

    @property
    def ok(self) -> bool:
        """True when the mapping can be used (no mapping problems)."""
        return not self.mapping_problems

    # -- upkeep (for validate and revalidate_rows) -------------------------------------

    def recount(self) -> None:
        """Count the rows per status from scratch (``list.count`` compares by identity
        first, so this is a few milliseconds for a million rows)."""
        statuses = self.statuses
        self._counts = {status: statuses.count(status) for status in RowStatus}

    def hold_back(self) -> None:
        """While the mapping has problems no row can be sent: every row not left out
        becomes INVALID (its cell issues still say what else is wrong). Validation calls
        this once at its end; :meth:`set_row` keeps it so."""
        if not self.mapping_problems:
            return
        excluded, invalid = RowStatus.EXCLUDED, RowStatus.INVALID
        self.statuses[:] = [s if s is excluded else invalid for s in self.statuses]
        self.recount()

    def set_row(self, row: int, issues: list[Issue], status: RowStatus | None = None) -> None:
        """Give ``row`` new issues and a status (by default the one its issues imply;
        INVALID for a row not left out while the mapping has problems), keeping the
        counts. The flat issue list is brought up to date by :meth:`refresh_issues`."""
        if issues:
            self._row_issues[row] = issues
        else:
            self._row_issues.pop(row, None)
        new = status_of(issues) if status is None else status
        if self.mapping_problems and new is not RowStatus.EXCLUDED:
            new = RowStatus.INVALID
        old = self.statuses[row]
        if new is not old:
            self.statuses[row] = new
            counts = self._counts
            if counts:
                counts[old] -= 1
                counts[new] += 1

    def refresh_issues(self, rows: Iterable[int]) -> None:
        """Bring the flat issue list up to date after ``rows`` got new issues: patched
        in place for a few rows, dropped (rebuilt on next use) for many."""
        flat = self._flat
        if flat is None:
            return
        changed = sorted(set(rows))
        if len(changed) > SPLICE_LIMIT:
            self._flat = None
            return
        held = self._row_issues
        for row in changed:
            lo = bisect.bisect_left(flat, row, key=_BY_ROW)
            hi = bisect.bisect_right(flat, row, lo=lo, key=_BY_ROW)
            flat[lo:hi] = held.get(row, ())
