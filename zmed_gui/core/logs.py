"""The app's log file, with secrets taken out of every record before it is written.

One rotating file (1 MB x 5) in the user's log directory. A filter on each of our handlers
rewrites the message, the arguments and any traceback text, so a token or client secret
that reaches a log call (even inside an exception's text) never reaches the disk.
"""

from __future__ import annotations

import logging
import logging.handlers
import re
import sys
import threading
from pathlib import Path

from zmed_gui.core.paths import user_log_dir

LOG_FILE = "zmed-gui.log"
MAX_BYTES = 1_000_000
BACKUP_COUNT = 5
_FORMAT = "%(asctime)s %(levelname)-7s %(threadName)s %(name)s: %(message)s"
_MARK = "_zmed_gui_handler"  # attribute on handlers this module added

_lock = threading.Lock()
_known_secrets: set[str] = set()

_SECRET_KEYS = (
    r"client[_-]?secret|access[_-]?token|refresh[_-]?token|id[_-]?token|password|passwd"
    r"|api[_-]?key|secret|token"
)
# "Bearer abc.def" anywhere: headers, curl lines, exception text.
_BEARER_RE = re.compile(r"\b(Bearer)\s+(?!\*\*\*)[A-Za-z0-9\-._~+/]+=*", re.IGNORECASE)
# Authorization: <scheme> <credentials> in header dumps, dict reprs and JSON.
_AUTH_RE = re.compile(
    r"""(\bauthorization["']?\s*[:=]\s*["']?)(?:(bearer|basic|digest|token)\s+)?([^\s"',;}\]]+)""",
    re.IGNORECASE,
)
# "client_secret": "x" / 'access_token': 'x' / client_secret: x  (JSON, reprs, YAML-ish)
_KEY_VALUE_RE = re.compile(
    rf"""(["']?)\b({_SECRET_KEYS})\b\1(\s*[:=]\s*)"""
    r"""(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)'|([^\s&,;}\]"']+))""",
    re.IGNORECASE,
)


def add_secret(value: str) -> None:
    """Redact this exact value from every later record (a token or secret just obtained)."""
    if value and len(value) >= 4:
        with _lock:
            _known_secrets.add(value)


def redact(text: str) -> str:
    """``text`` with bearer tokens, Authorization values and secret fields replaced by ***."""
    if not text:
        return text
    with _lock:
        known = sorted(_known_secrets, key=len, reverse=True)
    for secret in known:
        text = text.replace(secret, "***")
    text = _BEARER_RE.sub(r"\1 ***", text)
    text = _AUTH_RE.sub(_auth_sub, text)
    return _KEY_VALUE_RE.sub(_key_value_sub, text)


def _auth_sub(m: re.Match[str]) -> str:
    scheme = f"{m.group(2)} " if m.group(2) else ""
    return f"{m.group(1)}{scheme}***"


def _key_value_sub(m: re.Match[str]) -> str:
    quote, key, sep = m.group(1), m.group(2), m.group(3)
    if m.group(4) is not None:
        value = '"***"'
    elif m.group(5) is not None:
        value = "'***'"
    else:
        value = "***"
    return f"{quote}{key}{quote}{sep}{value}"


class RedactingFilter(logging.Filter):
    """Rewrites each record so no secret survives into any handler's output."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string must not lose the record
            message = f"{record.msg!r} {record.args!r}"
        record.msg = redact(message)
        record.args = None
        if record.exc_info and record.exc_info[0] is not None:
            text = record.exc_text or logging.Formatter().formatException(record.exc_info)
            record.exc_text = redact(text)
        elif record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


def log_file_path() -> Path:
    """The current log file (it may not exist yet)."""
    return user_log_dir() / LOG_FILE


def setup_logging(level: int = logging.INFO, *, console: bool = False) -> Path:
    """Send every logger's records, secrets removed, to the rotating log file.

    Calling it again changes the level (and may add the console) but adds no second file
    handler; if the log directory changed meanwhile, the file handler moves there.

    Returns:
        The log file's path.
    """
    path = log_file_path()
    root = logging.getLogger()
    with _lock:
        ours = [h for h in root.handlers if getattr(h, _MARK, None)]
        file_handler = next(
            (h for h in ours if isinstance(h, logging.handlers.RotatingFileHandler)), None
        )
        if file_handler is not None and Path(file_handler.baseFilename) != path.resolve():
            root.removeHandler(file_handler)
            file_handler.close()
            file_handler = None
        if file_handler is None:
            file_handler = logging.handlers.RotatingFileHandler(
                path, maxBytes=MAX_BYTES, backupCount=BACKUP_COUNT, encoding="utf-8"
            )
            _adopt(file_handler)
            root.addHandler(file_handler)
        file_handler.setLevel(level)
        console_handler = next(
            (h for h in ours if type(h) is logging.StreamHandler),  # not the file handler
            None,
        )
        if console and console_handler is None:
            console_handler = logging.StreamHandler(sys.stderr)
            _adopt(console_handler)
            root.addHandler(console_handler)
        if console_handler is not None:
            console_handler.setLevel(level)
        root.setLevel(level)
    return path


def _adopt(handler: logging.Handler) -> None:
    handler.setFormatter(logging.Formatter(_FORMAT))
    handler.addFilter(RedactingFilter())
    setattr(handler, _MARK, True)


def shutdown_logging() -> None:
    """Remove and close the handlers :func:`setup_logging` added (tests, app exit)."""
    root = logging.getLogger()
    with _lock:
        for handler in [h for h in root.handlers if getattr(h, _MARK, None)]:
            root.removeHandler(handler)
            handler.close()


def read_log_tail(max_bytes: int = 200_000) -> str:
    """The end of the log file for the log viewer: whole lines only, "" when there is none."""
    root = logging.getLogger()
    for handler in root.handlers:
        if getattr(handler, _MARK, None):
            handler.flush()
    path = log_file_path()
    try:
        with path.open("rb") as fh:
            fh.seek(0, 2)
            size = fh.tell()
            start = max(0, size - max_bytes)
            fh.seek(start)
            data = fh.read()
    except FileNotFoundError:
        return ""
    if start > 0:
        newline = data.find(b"\n")
        data = data[newline + 1 :] if newline >= 0 else b""
    return data.decode("utf-8", errors="replace")
