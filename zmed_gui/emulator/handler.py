"""The request handler that answers like Zuora Mediation's APIs.

Routes:
    POST /oauth/token                                   client-credentials tokens
    POST /usage/bulk/{id}, /meters/streaming/ingestion/{id}   ingestion (faults apply here)
    GET|HEAD on a meter path                            401, 404 (unknown meter) or 405 Allow: POST
    GET /meters/{number}/auditTrail/entries             what was rejected after receipt
    GET /meters/export/{number}                         the meter's definition
    GET /_emulator/stats, GET /_emulator/events?meter=ID, GET /_emulator/rejected?meter=ID,
    GET /_emulator/audit?meter=ID, POST /_emulator/reset

Each route family lives in its own module (:mod:`.ingestion`, :mod:`.meter_api`); the
shared plumbing in :mod:`.responder`.
"""

from __future__ import annotations

import base64
import hmac
import json
import logging
import re
import urllib.parse

from zmed_gui.emulator.ingestion import IngestionRoutes
from zmed_gui.emulator.meter_api import MeterApiRoutes
from zmed_gui.emulator.responder import SMALL_BODY_LIMIT
from zmed_gui.emulator.wire import Drop

log = logging.getLogger("zmed_gui.emulator")

_METER_PATH = re.compile(r"/(meters/streaming/ingestion|usage/bulk)/([^/]+)/?")
_AUDIT_PATH = re.compile(r"/meters/([^/]+)/auditTrail/entries/?")
_EXPORT_PATH = re.compile(r"/meters/export/([^/]+)/?")
_LISTS = {  # NDJSON lists: kept events, events rejected after receipt, audit entries
    "/_emulator/events": "accepted_events",
    "/_emulator/rejected": "rejected_events",
    "/_emulator/audit": "audit_entries",
}
_STYLES = {"meters/streaming/ingestion": "streaming", "usage/bulk": "bulk"}


class EmulatorHandler(IngestionRoutes, MeterApiRoutes):
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

    def _dispatch(self) -> None:
        path, _, query = self.path.partition("?")
        self._begin(path)
        try:
            if path == "/oauth/token":
                self._token()
            elif m := _METER_PATH.fullmatch(path):
                self._meter_call(urllib.parse.unquote(m.group(2)), _STYLES[m.group(1)])
            elif m := _AUDIT_PATH.fullmatch(path):
                self._meter_api("entries", m.group(1), query)
            elif m := _EXPORT_PATH.fullmatch(path):
                self._meter_api("export", m.group(1), query)
            elif path.startswith("/_emulator/"):
                self._control(path, urllib.parse.parse_qs(query))
            else:
                self._no_route()
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
            self._shape = "emulator"
            self._fail(500, "The emulator itself failed; see its log.")

    # -- OAuth ---------------------------------------------------------------------------
    def _token(self) -> None:
        body = self._read_body(SMALL_BODY_LIMIT)
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

    # -- emulator control ----------------------------------------------------------------
    def _control(self, path: str, query: dict[str, list[str]]) -> None:
        self._read_body(SMALL_BODY_LIMIT)
        if path == "/_emulator/stats" and self.command == "GET":
            self._send(200, self.state.stats())
        elif path in _LISTS and self.command == "GET":
            meter = query.get("meter", [None])[0]
            items = getattr(self.state, _LISTS[path])(meter)
            lines = "".join(json.dumps(e, ensure_ascii=False) + "\n" for e in items)
            self._send(200, lines.encode("utf-8"), content_type="application/x-ndjson")
        elif path == "/_emulator/reset" and self.command == "POST":
            self.state.reset()
            self._send(200, {"success": True, "message": "The emulator was reset."})
        else:
            self._fail(404, f"There is no emulator endpoint {self.command} {path}.")
