"""The Meters operations around ingestion: the audit trail and the meter export.

    GET /meters/{meterId}/auditTrail/entries?exportType=&runType=&queryFromTime=
        &queryToTime=[&pageSize=1..500][&cursor=][&operatorId=][&sessionId=]
    GET /meters/export/{meterId}

``meterId`` is the numeric ID. Both need a bearer token and, as Zuora's reference lists
it as required, ``Content-Type: application/json``. Refusals use the Meters shape
``{"success": false, "errors": [{"code", "message"}]}``. These calls draw no faults and
do not count against the ingestion rate windows.
"""

from __future__ import annotations

import time
import urllib.parse

from zmed_gui.emulator.audit_query import QueryError, parse_audit_query, parse_meter_number
from zmed_gui.emulator.meter_export import export_meter
from zmed_gui.emulator.responder import SMALL_BODY_LIMIT, Responder
from zmed_gui.emulator.shapes import METER_NOT_EXISTING, errors_body


class MeterApiRoutes(Responder):
    def _meter_api(self, operation: str, raw_id: str, query: str) -> None:
        """``operation`` is "entries" (audit trail) or "export"."""
        self._shape = "errors"
        self._read_body(SMALL_BODY_LIMIT)
        if self.command not in ("GET", "HEAD"):
            self._extra.append(("Allow", "GET"))
            self._fail(405, "This operation takes GET only.")
            return
        if not self._authorized() or self._forbidden(None):
            return
        if self.headers.get_content_type() != "application/json":
            self._fail(415, "Content-Type must be application/json.")
            return
        try:
            number = parse_meter_number(urllib.parse.unquote(raw_id))
            found = self.state.meter_by_number(number)
            if found is None:
                self._fail(404, f"The meter {number} was not found.", code=METER_NOT_EXISTING)
                return
            meter_id, schema, trail = found
            if operation == "export":
                self._send(200, export_meter(meter_id, number, schema))
                return
            page = trail.page(parse_audit_query(query), int(time.time() * 1000))
        except QueryError as exc:
            self._send(400, errors_body([(exc.code, exc.message)]))
            return
        self._send(200, page)
