"""The Open step's reads, run in workers: sheet list and preview, one sheet, the whole table.

Each ``*_work`` function returns the work for :class:`LatestRead`: a plain
``fn(progress, cancel)`` that calls core and never touches a widget.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from zmed_gui.core.progress import CancelToken, ProgressCallback
from zmed_gui.core.table import Grid, Table
from zmed_gui.ui.jobs import Latest

PREVIEW_ROWS = 200


def preview_work(
    path: Path, encoding: str | None = None
) -> Callable[[ProgressCallback, CancelToken], tuple[list[str], Grid]]:
    """All sheet names, and a preview of the first visible sheet (a hidden one is skipped);
    a text file in ``encoding`` (None: detected)."""

    def work(progress: ProgressCallback, cancel: CancelToken) -> tuple[list[str], Grid]:
        from zmed_gui.core.read import list_sheets, read_grid

        progress(0, 0, "Reading the list of sheets...")
        sheets = list(list_sheets(path))
        cancel.raise_if_cancelled()
        # None: core picks the first visible sheet; the names above include hidden ones.
        grid = read_grid(
            path, None, max_rows=PREVIEW_ROWS, progress=progress, cancel=cancel, encoding=encoding
        )
        return sheets, grid

    return work


def sheet_work(
    path: Path, sheet: str, encoding: str | None = None
) -> Callable[[ProgressCallback, CancelToken], Grid]:
    """A preview of ``sheet`` (a text file in ``encoding``; None: detected)."""

    def work(progress: ProgressCallback, cancel: CancelToken) -> Grid:
        from zmed_gui.core.read import read_grid

        return read_grid(
            path, sheet, max_rows=PREVIEW_ROWS, progress=progress, cancel=cancel, encoding=encoding
        )

    return work


def table_work(
    path: Path, sheet: str, header_row: int, encoding: str | None = None
) -> Callable[[ProgressCallback, CancelToken], Table]:
    """The whole table of ``sheet``, headings taken from Excel row ``header_row`` (a text
    file in ``encoding``; None: detected)."""

    def work(progress: ProgressCallback, cancel: CancelToken) -> Table:
        from zmed_gui.core.read import load_table

        return load_table(
            path, sheet, header_row, progress=progress, cancel=cancel, encoding=encoding
        )

    return work


class LatestRead:
    """One read at a time: starting another or stopping makes the older one's results ignored.

    The callbacks run on the GUI thread with the read's kind ("preview", "sheet", "table")
    first, and only for the latest read; when they run, :attr:`busy` is already False.
    """

    def __init__(
        self,
        *,
        finished: Callable[[str, object], None],
        failed: Callable[[str, str, str], None],
        cancelled: Callable[[str], None],
        progressed: Callable[[int, int, str], None],
    ) -> None:
        self._finished = finished
        self._failed = failed
        self._cancelled = cancelled
        self._progressed = progressed
        self._jobs = Latest()
        self.kind = ""

    @property
    def busy(self) -> bool:
        return self._jobs.busy

    def start(self, kind: str, fn: Callable[[ProgressCallback, CancelToken], object]) -> None:
        """Run ``fn``; a read still running is superseded (what it returns is dropped)."""
        self.kind = kind
        self._jobs.run(
            fn,
            finished=lambda result: self._finished(kind, result),
            failed=lambda message, details: self._failed(kind, message, details),
            cancelled=lambda: self._cancelled(kind),
            progressed=self._progressed,
        )

    def stop(self) -> str:
        """Cancel the running read; returns its kind, or "" when none was running."""
        if not self._jobs.busy:
            return ""
        self._jobs.drop()  # whatever it returns now is ignored
        return self.kind
