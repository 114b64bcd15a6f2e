"""The request handler that answers like Zuora Mediation's ingestion API.

Routes:
    POST /oauth/token                                   client-credentials tokens
    POST /meters/streaming/ingestion/{id}, /usage/bulk/{id}   ingestion (faults apply here)
    GET|HEAD on a meter path                            401, 404 (unknown meter) or 405 Allow: POST
    GET /_emulator/stats, GET /_emulator/events?meter=ID, POST /_emulator/reset
"""

from __future__ import annotations

import base64
import email.utils
import gzip
import hmac
import json
import logging
import math
import re
import time
import urllib.parse
import uuid
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING, Any

from zmed_gui.core.schema import Schema
from zmed_gui.emulator.config import EmulatorConfig
from zmed_gui.emulator.faults import Fault
from zmed_gui.emulator.payload import PayloadError, check_events, decode_body, parse_events
from zmed_gui.emulator.state import EmulatorState
from zmed_gui.emulator.wire import Drop, accepts_gzip, read_body

if TYPE_CHECKING:
    from zmed_gui.emulator.server import EmulatorHTTPServer

log = logging.getLogger("zmed_gui.emulator")

_METER_PATH = re.compile(r"/(?:meters/streaming/ingestion|usage/bulk)/([^/]+)/?")
_TRACK_BAD = re.compile(r"[^\x20-\x7e]|[:;\"']")
_TOKEN_BODY_LIMIT = 64 * 1024
_GZIP_RESPONSE_OVER = 1000


class EmulatorHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "zmed-emulator/0.1"
    default_request_version = "HTTP/1.1"  # unparsable requests still get a status line
    disable_nagle_algorithm = True  # headers and body are separate writes: avoid 40 ms stalls
    server: EmulatorHTTPServer

    # Quiet: requests go to the "zmed_gui.emulator" logger at DEBUG, without the query
    # string or any header, so no token or secret can reach a log.
    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        self._dispatch()

    def do_GET(self) -> None:
        self._dispatch()

    def do_HEAD(self) -> None:
        self._dispatch()

    def do_PUT(self) -> None:
        self._dispatch()

    def do_DELETE(self) -> None:
        self._dispatch()

    def do_PATCH(self) -> None:
        self._dispatch()

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """Malformed requests and unknown methods: still JSON, still a Zuora-Request-Id."""
        self._begin("(unparsed request)")
        self.close_connection = True
        try:
            phrase = HTTPStatus(code).phrase
        except ValueError:
            phrase = "Error"
        self._fail(code, f"{phrase}: {message}." if message else f"{phrase}.")

    # -- plumbing ----------------------------------------------------------------------
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

    def _dispatch(self) -> None:
        path, _, query = self.path.partition("?")
        self._begin(path)
        try:
            m = _METER_PATH.fullmatch(path)
            if path == "/oauth/token":
                self._token()
            elif m is not None:
                self._meter_call(urllib.parse.unquote(m.group(1)))
            elif path.startswith("/_emulator/"):
                self._control(path, urllib.parse.parse_qs(query))
            else:
                self._read_body(_TOKEN_BODY_LIMIT)
                self._fail(404, f"There is no endpoint {path}.")
        except Drop:
            self.close_connection = True
            self.state.count_status("dropped", self._ingestion)
            log.debug("%s %s -> dropped (%s)", self.command, self._route, self._request_id)
        except OSError:  # the client went away (timed out during a slow answer, ...)
            self.close_connection = True
        except Exception:  # a bug here: say so instead of hanging up
            log.exception("emulator error on %s %s", self.command, self._route)
            self.close_connection = True
            self._pending = None
            self._fail(500, "The emulator itself failed; see its log.")

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
        self, status: int, message: str, reasons: list[dict[str, Any]] | None = None, **extra: Any
    ) -> None:
        body: dict[str, Any] = {"success": False, "message": message}
        if reasons is not None:
            body["reasons"] = reasons
        body.update(extra)
        self._send(status, body)

    # -- OAuth ---------------------------------------------------------------------------
    def _token(self) -> None:
        body = self._read_body(_TOKEN_BODY_LIMIT)
        self.state.count("token_requests")
        if self.command != "POST":
            self._extra.append(("Allow", "POST"))
            self._send(405, {"error": "invalid_request", "error_description": "Use POST."})
            return
        if self.state.next_token_fault():
            self.state.count_fault("token-429")
            self._extra.append(("Retry-After", "1"))
            self._send(429, {"error": "too_many_requests", "error_description": "Slow down."})
            return
        ctype = self.headers.get_content_type()
        if body is None or ctype != "application/x-www-form-urlencoded":
            self._send(400, {
                "error": "invalid_request",
                "error_description": "Send client_id, client_secret and grant_type as "
                "application/x-www-form-urlencoded.",
            })  # fmt: skip
            return
        try:
            form = urllib.parse.parse_qs(body.decode("utf-8"), keep_blank_values=True)
        except UnicodeDecodeError:
            form = {}
        client_id = form.get("client_id", [""])[0]
        secret = form.get("client_secret", [""])[0]
        auth = self.headers.get("Authorization", "")
        if auth.lower().startswith("basic ") and not client_id:
            try:
                decoded = base64.b64decode(auth[6:].strip()).decode("utf-8")
                client_id, _, secret = decoded.partition(":")
                client_id, secret = urllib.parse.unquote(client_id), urllib.parse.unquote(secret)
            except (ValueError, UnicodeDecodeError):
                pass
        grant = form.get("grant_type", [""])[0]
        if grant != "client_credentials":
            error = "unsupported_grant_type" if grant else "invalid_request"
            self._send(
                400, {"error": error, "error_description": "Use grant_type=client_credentials."}
            )
            return
        ok_id = hmac.compare_digest(client_id.encode(), self.config.client_id.encode())
        ok_secret = hmac.compare_digest(secret.encode(), self.config.client_secret.encode())
        if not (ok_id and ok_secret):
            self.state.count("token_rejections")
            self._send(401, {
                "error": "invalid_client",
                "error_description": "The client ID or client secret is wrong.",
            })  # fmt: skip
            return
        token, jti = self.state.issue_token()
        self._extra += [("Cache-Control", "no-store"), ("Pragma", "no-cache")]
        self._send(200, {
            "access_token": token,
            "token_type": "bearer",
            "expires_in": self.config.token_lifetime,
            "scope": "entity.demo service.usage.write tenant.emulator",
            "jti": jti,
        })  # fmt: skip

    # -- ingestion -----------------------------------------------------------------------
    def _meter_call(self, meter_id: str) -> None:
        if self.command != "POST":
            self._meter(meter_id, admitted=True)
            return
        admitted = self.state.enter_call()  # held until answered (slow answers included)
        try:
            self._meter(meter_id, admitted)
        finally:
            self.state.leave_call()

    def _meter(self, meter_id: str, admitted: bool) -> None:
        body = self._read_body(self.config.max_payload_bytes)
        post = self.command == "POST"
        self._ingestion = post
        self.state.count("calls" if post else "probes")
        track = self.headers.get("Zuora-Track-Id")
        self.state.note_headers(
            None, self.headers.get("Zuora-Entity-Ids"), self.headers.get("Zuora-Org-Ids")
        )
        if track:
            if len(track) > 64 or _TRACK_BAD.search(track):
                self._fail(
                    400,
                    "Zuora-Track-Id must be at most 64 US-ASCII characters without : ; \" or '.",
                )
                return
            self._track_id = track
            self.state.note_headers(track, None, None)
        fault: Fault | None = None
        if post:
            window = self.state.rate_check()
            if window is not None:
                self._extra += window.headers()
                if not window.allowed:
                    self._extra.append(("Retry-After", str(window.reset)))
                    self._fail(429, f"More than {window.limit} calls in a minute; retry later.")
                    return
            if not admitted:
                self._extra.append(("Retry-After", "1"))
                limit = self.config.max_concurrent_calls
                self._fail(429, f"More than {limit} calls at the same time; retry later.")
                return
            fault = self.state.next_fault()
            if fault is not None:
                self.state.count_fault(fault.kind)
                if self._early_fault(fault):
                    return
        if not self._authorized():
            return
        schema = self.state.schema(meter_id)
        if schema is None:
            self._fail(404, f"The meter {meter_id} does not exist in this tenant.")
            return
        if not post:
            self._extra.append(("Allow", "POST"))
            self._fail(405, "This path takes POST only; the meter exists.")
            return
        self._ingest(meter_id, schema, body)

    def _ingest(self, meter_id: str, schema: Schema, body: bytes | None) -> None:
        if self.headers.get_content_type() != "application/json":
            self._fail(415, "Content-Type must be application/json.")
            return
        encoding = self.headers.get("Content-Encoding", "")
        if encoding.strip():
            self.state.count("gzip_requests")
        try:
            data = decode_body(body, encoding, self.config.max_payload_bytes)
            events = parse_events(data)
            check_events(events, schema, self.config.max_events_per_call, self.config.max_reasons)
        except PayloadError as exc:
            self._send(exc.status, exc.body())
            return
        self.state.record(meter_id, events, self._request_id)
        self._send(200, {"success": True, "message": f"{len(events)} events received"})

    # -- emulator control ----------------------------------------------------------------
    def _control(self, path: str, query: dict[str, list[str]]) -> None:
        self._read_body(_TOKEN_BODY_LIMIT)
        if path == "/_emulator/stats" and self.command == "GET":
            self._send(200, self.state.stats())
        elif path == "/_emulator/events" and self.command == "GET":
            meter = query.get("meter", [None])[0]
            events = self.state.accepted_events(meter)
            lines = "".join(json.dumps(e, ensure_ascii=False) + "\n" for e in events)
            self._send(200, lines.encode("utf-8"), content_type="application/x-ndjson")
        elif path == "/_emulator/reset" and self.command == "POST":
            self.state.reset()
            self._send(200, {"success": True, "message": "The emulator was reset."})
        else:
            self._fail(404, f"There is no emulator endpoint {self.command} {path}.")

    def _early_fault(self, fault: Fault) -> bool:
        """Apply a fault that answers before processing; True when the call is done."""
        kind = fault.kind
        if kind == "drop-before":
            raise Drop
        if kind in ("500", "502", "503", "429"):
            if fault.seconds is not None and kind in ("503", "429"):
                if fault.http_date:
                    when = email.utils.formatdate(time.time() + fault.seconds + 1, usegmt=True)
                    self._extra.append(("Retry-After", when))
                else:
                    self._extra.append(("Retry-After", str(math.ceil(fault.seconds))))
            messages = {
                "500": "Internal server error (injected).",
                "502": "Bad gateway (injected).",
                "503": "Service unavailable (injected).",
                "429": "Too many requests (injected).",
            }
            self._fail(int(kind), messages[kind])
            return True
        if kind == "token-expiry":
            token = self._bearer()
            if token:
                self.state.expire_token(token)
            self._extra.append(("WWW-Authenticate", 'Bearer error="invalid_token"'))
            self._fail(401, "The access token has expired (injected); get a new one.")
            return True
        self._pending = fault  # slow, drop-after: after processing
        return False

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
