"""A progress display for the terminal: a bar on a TTY, sparse plain lines otherwise."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class ProgressPrinter:
    """A ProgressCallback that draws on ``stream``."""

    def __init__(self, label: str, stream: TextIO | None = None, width: int = 30) -> None:
        self.label = label
        self.stream = stream or sys.stderr
        self.width = width
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self._last = 0.0
        self._drawn = False
        self._interval = 0.1 if self.tty else 5.0
        self._started = time.monotonic()

    def __call__(self, done: int, total: int, message: str = "") -> None:
        now = time.monotonic()
        if now - self._last < self._interval and not (total and done >= total):
            return
        self._last = now
        if self.tty:
            if total:
                filled = int(self.width * min(done, total) / total)
                bar = "#" * filled + "-" * (self.width - filled)
                text = f"\r{self.label} [{bar}] {done:,}/{total:,} {message}"
            else:
                text = f"\r{self.label} {done:,} {message}"
            self.stream.write(text[:150].ljust(80))
            self._drawn = True
        elif now - self._started >= self._interval:
            pct = f" ({done * 100 // total}%)" if total else ""
            of = f"/{total:,}" if total else ""
            self.stream.write(f"{self.label}: {done:,}{of}{pct} {message}\n")
        self.stream.flush()

    def done(self) -> None:
        if self._drawn:
            self.stream.write("\r" + " " * 80 + "\r")
            self.stream.flush()
            self._drawn = False
