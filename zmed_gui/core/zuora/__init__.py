"""Talking to Zuora: OAuth client credentials and posting one batch of events (httpx).

One :class:`ZuoraClient` (one HTTP/1.1 ``httpx.Client`` with a connection pool) is shared by
all upload threads. The OAuth token is cached until shortly before it expires; one thread
refreshes it at a time. A 401 refreshes the token once and resends; a second 401 stops the
upload. Retrying, splitting and journaling live in :mod:`zmed_gui.core.upload._run`; here one
call is one request, and the exceptions say whether the request left the computer:

- :class:`NotSent`: failed before the body was completely sent (safe to retry),
- :class:`NoAnswer`: the body was sent but no answer came (the batch is *uncertain*).

TLS is always verified with the operating system's trust store (truststore), plus an
optional CA bundle file; plain http is allowed only to this computer (the emulator).
The token and the client secret are redacted from every log line of httpx/httpcore/zmed_gui.

This module is the public face; the work is done in :mod:`~zmed_gui.core.zuora._auth` (HTTP
client, OAuth token cache), :mod:`~zmed_gui.core.zuora._post` (posting a batch, not sent vs
no answer), :mod:`~zmed_gui.core.zuora._retry` (track ids, Retry-After, backoff, rate
limiter), :mod:`~zmed_gui.core.zuora._probe` (testing a connection),
:mod:`~zmed_gui.core.zuora._meters` (fetching a meter's definition) and
:mod:`~zmed_gui.core.zuora._redact` (secret redaction on the loggers).
"""

from zmed_gui.core.zuora._audit import (
    AuditEntry,
    check_meter_number,
    fetch_audit_errors,
)
from zmed_gui.core.zuora._auth import (
    REFUSED,
    REFUSED_UPLOAD,
    USER_AGENT,
    AddressMoved,
    NotSent,
    TokenClient,
)
from zmed_gui.core.zuora._meters import (
    fetch_meter_definition,
)
from zmed_gui.core.zuora._post import (
    NoAnswer,
    PostResult,
    ZuoraClient,
    describe_status,
    encode_json,
)
from zmed_gui.core.zuora._probe import (
    ConnectionTestResult,
    ProbeOutcome,
    test_connection,
)
from zmed_gui.core.zuora._redact import (
    register_secret,
)
from zmed_gui.core.zuora._retry import (
    RateLimiter,
    backoff_delay,
    check_track_id,
    new_track_id,
    parse_retry_after,
)

__all__ = [
    "REFUSED",
    "REFUSED_UPLOAD",
    "USER_AGENT",
    "AddressMoved",
    "AuditEntry",
    "ConnectionTestResult",
    "NoAnswer",
    "NotSent",
    "PostResult",
    "ProbeOutcome",
    "RateLimiter",
    "TokenClient",
    "ZuoraClient",
    "backoff_delay",
    "check_meter_number",
    "check_track_id",
    "describe_status",
    "encode_json",
    "fetch_audit_errors",
    "fetch_meter_definition",
    "new_track_id",
    "parse_retry_after",
    "register_secret",
    "test_connection",
]
