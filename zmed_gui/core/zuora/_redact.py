"""Secret redaction for every log line of the HTTP stack and of zmed_gui.

The log module's filter also sits on these loggers (not only on its handlers), so a
record is clean before it reaches any handler: pytest's, a GUI log view, the console.
A filter on a logger applies only to records logged through that very logger, so the
zuora_* modules log through ``logging.getLogger("zmed_gui.core.zuora")``.
"""

from __future__ import annotations

import logging

from zmed_gui.core.logs import RedactingFilter, add_secret

LOGGER_NAME = "zmed_gui.core.zuora"  # the logger of all zuora_* modules (redacted)

_redactor = RedactingFilter()
_REDACTED_LOGGERS = (
    "httpx",
    "httpcore",
    "httpcore.connection",
    "httpcore.http11",
    "httpcore.proxy",
    "zmed_gui",
    "zmed_gui.core.zuora",
    "zmed_gui.core.upload._run",
    "zmed_gui.core.journal._journal",
    "zmed_gui.core.connections._credentials",
    "zmed_gui.cli",
)
for _name in _REDACTED_LOGGERS:
    logging.getLogger(_name).addFilter(_redactor)


def register_secret(secret: str) -> None:
    """Make sure ``secret`` never appears in a log line (it becomes ***)."""
    add_secret(secret)
