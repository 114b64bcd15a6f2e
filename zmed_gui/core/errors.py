"""Errors a user can act on.

``str(error)`` is always one complete sentence for the user: which file, sheet, row or
column, what was expected and what to do; ``error.details`` may add plain facts for "Show
Details". Tracebacks go to the log, never to the screen.
"""

from __future__ import annotations


class ZmedError(Exception):
    """Base class: an error whose message is meant for the user.

    ``details`` are plain technical facts for "Show Details" (which file, line and column,
    what was expected), never a traceback; empty when the sentence says it all.
    """

    details: str = ""


class SourceError(ZmedError):
    """The spreadsheet cannot be opened or read (wrong type, damaged, encrypted, empty)."""


class OptionsError(ZmedError):
    """An option, mapping, schema or profile cannot be used as given."""


class ConnectionProblem(ZmedError):
    """Zuora (or the emulator) cannot be reached, refused the credentials or the meter."""


class ZuoraUnreachable(ConnectionProblem):
    """Zuora could not be reached or did not answer in time; the upload can be resumed."""


class MeterRefuses(ConnectionProblem):
    """The meter refuses every event (HTTP 400 that names no event): the upload stops."""


class CredentialsError(ZmedError):
    """The OS keyring is missing or refused to store or give back a secret."""


class Cancelled(Exception):
    """Long work stopped because the user asked it to."""
