"""Retry helpers for uploads: track ids, Retry-After, backoff with jitter, a rate limiter."""

from __future__ import annotations

import email.utils
import random
import threading
import time
import uuid

from zmed_gui.core.errors import OptionsError


def check_track_id(track_id: str) -> str:
    """A Zuora-Track-Id: at most 64 US-ASCII characters, none of : ; " '."""
    bad = set(":;\"'")
    if (
        not track_id
        or len(track_id) > 64
        or not track_id.isascii()
        or not track_id.isprintable()
        or any(ch in bad for ch in track_id)
    ):
        raise OptionsError(
            f"The track ID '{track_id}' cannot be used; use at most 64 plain ASCII characters "
            "without : ; \" or '."
        )
    return track_id


def new_track_id() -> str:
    """A fresh track id for one upload (``zmed-`` + 32 hex)."""
    return f"zmed-{uuid.uuid4().hex}"


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Retry-After in seconds (delta-seconds or an HTTP date); None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    now = time.time() if now is None else now
    return max(0.0, when.timestamp() - now)


def backoff_delay(attempt: int, base: float, cap: float, rng: random.Random | None = None) -> float:
    """Exponential backoff with full jitter: ``random(0, min(cap, base * 2**attempt))``."""
    r = rng or random
    return r.uniform(0.0, min(cap, base * (2.0**attempt)))


class RateLimiter:
    """A token bucket shared by the upload threads: at most ``calls_per_minute`` requests.

    The bucket holds at most ``burst`` calls so a long idle time never allows a flood.
    """

    def __init__(self, calls_per_minute: float, burst: int = 1) -> None:
        self.rate = max(calls_per_minute, 0.001) / 60.0
        self.capacity = float(max(1, burst))
        self._tokens = self.capacity
        self._last = time.monotonic()
        self._held_until = 0.0
        self._lock = threading.Lock()

    def hold(self, seconds: float) -> None:
        """No call for ``seconds`` from now (the server said how long its window lasts)."""
        with self._lock:
            self._held_until = max(self._held_until, time.monotonic() + seconds)

    def acquire(self, stop: threading.Event | None = None) -> bool:
        """Wait for one call; False when ``stop`` was set while waiting."""
        while True:
            with self._lock:
                now = time.monotonic()
                if now < self._held_until:
                    wait = self._held_until - now
                    self._lock.release()
                    try:
                        if stop is not None and stop.wait(min(wait, 0.5)):
                            return False
                        if stop is None:
                            time.sleep(min(wait, 0.5))
                    finally:
                        self._lock.acquire()
                    continue
                self._tokens = min(self.capacity, self._tokens + (now - self._last) * self.rate)
                self._last = now
                if self._tokens >= 1.0:
                    self._tokens -= 1.0
                    return True
                wait = (1.0 - self._tokens) / self.rate
            if stop is not None:
                if stop.wait(min(wait, 0.5)):
                    return False
            else:
                time.sleep(min(wait, 0.5))
