"""The plumbing every route shares: per-request state, answers, bearer tokens."""

from __future__ import annotations

import gzip
import json
import logging
import uuid
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING, Any

from zmed_gui.emulator.config import EmulatorConfig
from zmed_gui.emulator.faults import Fault
from zmed_gui.emulator.shapes import (
    TENANT_MEDIATION_NOT_ENABLED,
    UNAUTHORIZED,
    UNKNOWN_RESOURCE,
    gateway_timeout_page,
    reasons_body,
    shaped,
    status_code,
)
from zmed_gui.emulator.state import EmulatorState
from zmed_gui.emulator.wire import Drop, accepts_gzip, read_body

if TYPE_CHECKING:
    from zmed_gui.emulator.server import EmulatorHTTPServer

log = logging.getLogger("zmed_gui.emulator")

SMALL_BODY_LIMIT = 64 * 1024
_GZIP_RESPONSE_OVER = 1000
_FORBIDDEN = {
    "permission": (
        UNAUTHORIZED,
        "You do not have permission to perform this action. Ask for the Run Meters or "
        "Configure Meters and Events permission.",
    ),
    "not-enabled": (
        TENANT_MEDIATION_NOT_ENABLED,
        "Usage metering is not enabled for your account. Please contact support to enable it.",
    ),
}


class Responder(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "zmed-emulator/0.1"
    default_request_version = "HTTP/1.1"  # unparsable requests still get a status line
    disable_nagle_algorithm = True  # headers and body are separate writes: avoid 40 ms stalls
    server: EmulatorHTTPServer

    # Quiet: requests go to the "zmed_gui.emulator" logger at DEBUG, without the query
    # string or any header, so no token or secret can reach a log.
    def log_message(self, format: str, *args: Any) -> None:
        pass

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """Malformed requests and unknown methods: still JSON, still a Zuora-Request-Id."""
        self._begin("(unparsed request)")
        self.close_connection = True
        try:
            phrase = HTTPStatus(code).phrase
        except ValueError:
            phrase = "Error"
        self._fail(code, f"{phrase}: {message}." if message else f"{phrase}.")

    @property
    def state(self) -> EmulatorState:
        return self.server.state

    @property
    def config(self) -> EmulatorConfig:
        return self.server.state.config

    def _begin(self, route: str) -> None:
        """Per-request state (one handler object serves a whole keep-alive connection)."""
        self._request_id = str(uuid.uuid4())
        self._track_id: str | None = None
        self._extra: list[tuple[str, str]] = []
        self._ingestion = False
        self._pending: Fault | None = None
        self._route = route
        self._shape = "emulator"  # how _fail words a refusal: emulator, reasons, errors

    def _read_body(self, cap: int) -> bytes | None:
        """The request body, or None when it is over ``cap`` bytes (it is then discarded)."""
        body, must_close = read_body(self.rfile, self.headers, cap)
        if must_close:
            self.close_connection = True
        return body

    def _wants_gzip(self) -> bool:
        headers = getattr(self, "headers", None)  # absent when the request did not parse
        return headers is not None and accepts_gzip(headers.get("Accept-Encoding", ""))

    def _send(self, status: int, payload: Any, content_type: str = "application/json") -> None:
        pending = self._pending
        if pending is not None:
            # The call was processed (whatever the outcome); now the answer is lost or late.
            if pending.kind == "drop-after":
                raise Drop
            if pending.kind == "slow" and pending.seconds:
                self.server.stopping.wait(pending.seconds)
            if pending.kind == "504":
                status, payload, content_type = 504, gateway_timeout_page(), "text/html"
        if isinstance(payload, bytes):
            data = payload
        else:
            data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        headers = list(self._extra)
        if len(data) > _GZIP_RESPONSE_OVER and self._wants_gzip():
            data = gzip.compress(data, compresslevel=5)
            headers.append(("Content-Encoding", "gzip"))
        # Counted before the answer leaves, so a client that reads stats right after sees it.
        self.state.count_status(status, self._ingestion)
        self.send_response(status)
        self.send_header("Content-Type", f"{content_type}; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Zuora-Request-Id", self._request_id)
        if self._track_id:
            self.send_header("Zuora-Track-Id", self._track_id)
        for name, value in headers:
            self.send_header(name, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)
        log.debug("%s %s -> %d (%s)", self.command, self._route, status, self._request_id)

    def _fail(
        self,
        status: int,
        message: str,
        reasons: list[dict[str, Any]] | None = None,
        code: int | None = None,
        **extra: Any,
    ) -> None:
        """A refusal, worded in this route's shape (``_shape``)."""
        if self._shape != "emulator":
            self._send(status, shaped(self._shape, [(code or status_code(status), message)]))
            return
        body: dict[str, Any] = {"success": False, "message": message}
        if reasons is not None:
            body["reasons"] = reasons
        body.update(extra)
        self._send(status, body)

    def _no_route(self) -> None:
        """The 404 of a path nothing answers: it names nothing from the path."""
        self._read_body(SMALL_BODY_LIMIT)
        self.state.count("unrouted")
        self._send(404, reasons_body([(UNKNOWN_RESOURCE, "The requested resource was not found.")]))

    def _bearer(self) -> str:
        auth = self.headers.get("Authorization", "")
        scheme, _, token = auth.partition(" ")
        return token.strip() if scheme.lower() == "bearer" else ""

    def _authorized(self) -> bool:
        token = self._bearer()
        status = self.state.check_token(token) if token else "missing"
        if status == "ok":
            return True
        messages = {
            "missing": "Send an access token: Authorization: Bearer <token>.",
            "unknown": "The access token is not valid; get a new one from /oauth/token.",
            "expired": "The access token has expired; get a new one from /oauth/token.",
        }
        self._extra.append(("WWW-Authenticate", 'Bearer error="invalid_token"'))
        self._fail(401, messages[status])
        return False

    def _forbidden(self, fault: Fault | None) -> bool:
        """Answer 403 when the tenant (config) or an injected fault says so."""
        kind = self.config.forbidden
        if kind is None and fault is not None and fault.kind == "403":
            kind = "permission"
        if kind is None:
            return False
        shape = "errors" if self._shape == "errors" else "reasons"
        self._send(403, shaped(shape, [_FORBIDDEN[kind]]))
        return True
