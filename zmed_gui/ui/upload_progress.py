"""The Upload step's progress panel: bar, events/s, time left, retries, Pause and Cancel.

The sending worker hands its newest :class:`UploadProgress` snapshot to :meth:`post` (any
thread: it only swaps a reference under a lock); the worker's throttled ``progressed``
signal then calls :meth:`show_latest` on the GUI thread, which reads it.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QGridLayout, QGroupBox, QLabel, QProgressBar, QPushButton, QWidget

from zmed_gui.core.progress import PauseToken
from zmed_gui.ui.icons import icon
from zmed_gui.ui.numbers import counted
from zmed_gui.ui.upload_dialogs import n


def fmt_duration(seconds: float | None) -> str:
    if seconds is None:
        return "estimating…"
    if seconds < 1:
        return "under a second"
    s = round(seconds)
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min {s % 60:02d} s"
    return f"{s // 3600} h {s % 3600 // 60:02d} min"


def progress_text(p: Any, paused: bool, service: str = "Zuora") -> str:
    """One line on a run: sent, skipped, speed, time left, retries, failed."""
    # Skipped duplicates are never sent: count against what goes out.
    to_send = max(p.events_total - p.skipped_duplicates, 0)
    handled = p.accepted + p.rejected + p.uncertain
    parts = [f"{n(handled)} of {n(to_send)} events sent"]
    if p.skipped_duplicates:
        parts.append(f"{n(p.skipped_duplicates)} already in {service}, skipped")
    if p.paused or paused:
        # Nothing moves while paused: no speed, and no time left counting down (or up).
        parts.append("time left: paused")
    elif getattr(p, "waiting", False) and handled < to_send:
        # Refused or unanswered: the average so far says nothing about when it ends.
        parts.append(f"time left: unknown until {service} answers")
    else:
        parts.append(f"{n(int(p.events_per_second))} events/s")
        parts.append(
            f"{fmt_duration(p.eta_seconds)} left"
            if p.eta_seconds is not None
            else "time left: estimating…"
        )
    parts.append(counted(p.retries, "retry", "retries"))
    parts.append(f"{n(p.rejected + p.uncertain)} failed")
    text = " · ".join(parts)
    in_flight = int(getattr(p, "in_flight", 0) or 0)
    if (p.paused or paused) and in_flight:
        # Nothing new leaves; the requests on their way are answered first.
        text = f"Pausing… (waiting for {counted(in_flight, 'request')} in flight). " + text
    elif paused and not p.paused:
        text = "Pausing… " + text  # the sender has not seen the pause yet
    elif p.paused or paused:
        text = "Paused. " + text
    elif p.message:
        text += f"\n{p.message}"
    return text


class UploadProgressPanel(QGroupBox):
    """What a running job is doing; Pause/Resume and Cancel for a running upload."""

    cancel_requested = Signal()

    def __init__(
        self, parent: QWidget | None = None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        super().__init__("Sending", parent)
        self.pause = PauseToken()
        # Speed and time left over the time spent sending only: a pause stops this clock,
        # so neither runs while paused nor jumps after Resume.
        self._clock = clock
        self._active = 0.0  # seconds sent so far, pauses left out
        self._since: float | None = None  # when the current stretch of sending began
        self._handled_at_start: int | None = None
        self.service = "Zuora"  # where the events go ("the local emulator" in demo mode)
        self._latest: Any = None  # the newest UploadProgress, written by the worker thread
        self._latest_lock = threading.Lock()
        self.progress_bar = QProgressBar()
        self.progress_bar.setAccessibleName("Upload progress")
        self.progress_label = QLabel()
        self.progress_label.setWordWrap(True)
        self.pause_button = QPushButton("Pause")
        self.pause_button.clicked.connect(self._on_pause_button_clicked)
        self.cancel_button = QPushButton(icon("cancel"), "Cancel")
        self.cancel_button.clicked.connect(self._on_cancel_button_clicked)
        pl = QGridLayout(self)
        pl.addWidget(self.progress_bar, 0, 0, 1, 3)
        pl.addWidget(self.progress_label, 1, 0)
        pl.addWidget(self.pause_button, 1, 1)
        pl.addWidget(self.cancel_button, 1, 2)
        pl.setColumnStretch(0, 1)
        self.hide()

    def prepare_sending(self, total: int, service: str) -> PauseToken:
        """A fresh pause switch and an empty bar for ``total`` events."""
        self.pause = PauseToken()
        self.service = service
        self._active, self._since, self._handled_at_start = 0.0, None, None
        with self._latest_lock:
            self._latest = None
        self.progress_bar.setRange(0, max(total, 1))
        self.progress_bar.setValue(0)
        self.progress_bar.setFormat(f"0 of {n(total)} events")
        return self.pause

    def start_job(self, text: str, title: str = "Sending") -> None:
        """A job started: a busy bar and what it does; Pause waits for the sending to start."""
        with self._latest_lock:
            self._latest = None  # an earlier run's numbers are not this job's
        self.setTitle(title)
        self.progress_label.setText(text)
        self.progress_bar.setRange(0, 0)
        self.pause_button.setEnabled(False)

    def set_running(self, running: bool) -> None:
        self.setVisible(running or self.isVisible())
        self.cancel_button.setEnabled(running)
        self.pause_button.setEnabled(running and self.pause_button.isEnabled())
        if not running:
            self.pause_button.setEnabled(False)
            self.pause_button.setText("Pause")

    def has_snapshot(self) -> bool:
        """Whether the running upload has reported anything yet (it began sending)."""
        with self._latest_lock:
            return self._latest is not None

    def events_left(self) -> int | None:
        """Events of the running upload not yet sent (None: it has not reported yet)."""
        with self._latest_lock:
            p = self._latest
        if p is None:
            return None
        to_send = max(p.events_total - p.skipped_duplicates, 0)
        return int(max(to_send - (p.accepted + p.rejected + p.uncertain), 0))

    def post(self, p: Any) -> None:
        """Keep ``p`` for the next :meth:`show_latest` (called from the worker thread)."""
        with self._latest_lock:
            self._latest = p

    def show_latest(self, done: int, total: int, message: str) -> None:
        with self._latest_lock:
            p = self._latest
        if p is None:
            if message:
                self.progress_label.setText(message)
            return
        to_send = max(p.events_total - p.skipped_duplicates, 0)
        handled = p.accepted + p.rejected + p.uncertain
        p = self._timed(p, handled, to_send)
        self.progress_bar.setRange(0, max(to_send, 1))
        self.progress_bar.setValue(min(handled, max(to_send, 1)))
        self.progress_bar.setFormat(f"{n(handled)} of {n(to_send)} events")
        self.progress_label.setText(progress_text(p, self.pause.paused, self.service))

    def show_rows(self, done: int, total: int, _message: str = "") -> None:
        """A job over rows (the result report): its own bar, "N of M rows"."""
        if total <= 0:
            return
        self.progress_bar.setRange(0, total)
        self.progress_bar.setValue(min(done, total))
        self.progress_bar.setFormat(f"{n(done)} of {n(total)} rows")
        self.progress_label.setText(f"{self.title()}… {n(done)} of {n(total)} rows")

    def _sending_seconds(self) -> float:
        now = self._clock()
        return self._active + (now - self._since if self._since is not None else 0.0)

    def _timed(self, p: Any, handled: int, to_send: int) -> Any:
        """``p`` with speed and time left over the time actually spent sending."""
        if self.pause.paused or p.paused or p.waiting:
            return p
        if self._handled_at_start is None:
            self._handled_at_start = handled  # a resumed upload starts part-way
            self._since = self._clock()
            return p
        seconds = self._sending_seconds()
        done = handled - self._handled_at_start
        if seconds <= 0 or done <= 0:
            return p
        eps = done / seconds
        left = max(to_send - handled, 0)
        return dataclasses.replace(p, events_per_second=eps, eta_seconds=left / eps)

    def _on_cancel_button_clicked(self) -> None:
        self.cancel_requested.emit()

    def _on_pause_button_clicked(self) -> None:
        if self.pause.paused:
            self.pause.resume()
            if self._handled_at_start is not None:
                self._since = self._clock()
            self.pause_button.setText("Pause")
            self.progress_label.setText("Resuming…")
        else:
            if self._since is not None:
                self._active, self._since = self._sending_seconds(), None
            self.pause.pause()
            self.pause_button.setText("Resume")
            self.progress_label.setText("Pausing…")

    def stopping(self, text: str = "Stopping after the requests already on their way…") -> None:
        """Cancel was asked for: a paused run must wake up to see it."""
        self.pause.resume()
        self.cancel_button.setEnabled(False)
        self.pause_button.setEnabled(False)  # nothing to pause or resume once stopping
        self.pause_button.setText("Pause")
        self.progress_label.setText(text)
