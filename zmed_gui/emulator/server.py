"""The local Zuora Mediation stand-in: start it, point a client at it, read what it got."""

from __future__ import annotations

import logging
import socket
import threading
import time
from http.server import ThreadingHTTPServer
from types import TracebackType
from typing import Any

from zmed_gui.core.schema import Schema
from zmed_gui.emulator.config import DEMO_METER_ID, EmulatorConfig
from zmed_gui.emulator.handler import EmulatorHandler
from zmed_gui.emulator.state import EmulatorState

log = logging.getLogger("zmed_gui.emulator")


class EmulatorHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, address: tuple[str, int], state: EmulatorState) -> None:
        self.state = state
        self.stopping = threading.Event()
        self._live: dict[threading.Thread, socket.socket] = {}
        self._live_lock = threading.Lock()
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, EmulatorHandler)

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        with self._live_lock:
            self._live[threading.current_thread()] = request
        try:
            super().process_request_thread(request, client_address)
        finally:
            with self._live_lock:
                self._live.pop(threading.current_thread(), None)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # socketserver would print a traceback to stderr; a vanished client is routine.
        log.debug("connection from %s ended with an error", client_address, exc_info=True)

    def close_connections(self, timeout: float) -> None:
        """Shut every open connection so idle keep-alive handlers end, then wait for them."""
        with self._live_lock:
            live = dict(self._live)
        for sock in live.values():
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        deadline = time.monotonic() + timeout
        for thread in live:
            thread.join(max(0.0, deadline - time.monotonic()))


class Emulator:
    """A Zuora Mediation ingestion emulator on a loopback port.

    Example::

        with Emulator() as emu:
            url = emu.upload_url()          # POST events here with a token from
            token_url = emu.base_url + "/oauth/token"
            ...
            assert emu.stats()["accepted_events"] == 10
    """

    def __init__(
        self, config: EmulatorConfig | None = None, host: str = "127.0.0.1", port: int = 0
    ) -> None:
        self.config = config if config is not None else EmulatorConfig()
        self.host = host
        self.port = port
        self._state = EmulatorState(self.config)
        self._server: EmulatorHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -----------------------------------------------------------------------
    def start(self) -> Emulator:
        """Listen and serve in a daemon thread; returns self. The real port is in ``port``."""
        if self._server is not None:
            return self
        server = EmulatorHTTPServer((self.host, self.port), self._state)
        self._server = server
        self.port = int(server.server_address[1])
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"zmed-emulator:{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, close open connections and the socket, join the threads."""
        server, thread = self._server, self._thread
        if server is None:
            return
        self._server = self._thread = None
        server.stopping.set()  # wakes slow-fault sleeps
        server.shutdown()
        server.server_close()
        server.close_connections(timeout=5.0)
        if thread is not None:
            thread.join(timeout=5.0)
        self._state.close()

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self._server is not None

    # -- addresses -----------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def token_url(self) -> str:
        return self.base_url + "/oauth/token"

    def upload_url(self, meter_id: str = DEMO_METER_ID, style: str = "streaming") -> str:
        """The meter's upload URL: ``streaming`` (first published) or ``bulk`` (current)."""
        if style == "streaming":
            return f"{self.base_url}/meters/streaming/ingestion/{meter_id}"
        if style == "bulk":
            return f"{self.base_url}/usage/bulk/{meter_id}"
        raise ValueError(f"style must be 'streaming' or 'bulk', not {style!r}")

    def meter_number(self, meter_id: str = DEMO_METER_ID) -> int:
        """The meter's numeric ID (audit trail, export); KeyError for an unknown meter."""
        number = self._state.meter_number(meter_id)
        if number is None:
            raise KeyError(meter_id)
        return number

    def audit_url(self, meter_id: str = DEMO_METER_ID) -> str:
        """``GET`` this with the audit trail's query parameters."""
        return f"{self.base_url}/meters/{self.meter_number(meter_id)}/auditTrail/entries"

    def export_url(self, meter_id: str = DEMO_METER_ID) -> str:
        """``GET`` this for the meter's definition."""
        return f"{self.base_url}/meters/export/{self.meter_number(meter_id)}"

    # -- what it got ---------------------------------------------------------------------
    def accepted_events(self, meter_id: str | None = None) -> list[dict[str, Any]]:
        """Copies of the kept events, in arrival order (all meters when None); events
        rejected after receipt are not among them."""
        return self._state.accepted_events(meter_id)

    def rejected_events(self, meter_id: str | None = None) -> list[dict[str, Any]]:
        """Copies of the events answered 200 and then rejected, in arrival order."""
        return self._state.rejected_events(meter_id)

    def audit_entries(self, meter_id: str | None = None) -> list[dict[str, Any]]:
        """Every audit trail entry as the API shows it, whether visible yet or not."""
        return self._state.audit_entries(meter_id)

    def stats(self) -> dict[str, Any]:
        """Counters: calls, accepted_events, rejected_calls, dropped_calls, by_status,
        probes, gzip_requests, token_requests, tokens_issued, token_rejections,
        faults_injected (per kind), fault_seed, track_ids, entity_ids, org_ids,
        events_by_meter, rejected_after_receipt, unrouted, meter_numbers."""
        return self._state.stats()

    def reset(self) -> None:
        """Forget events, audit entries and counters and restart the fault sequence;
        tokens stay valid."""
        self._state.reset()

    def add_meter(self, meter_id: str, schema: Schema, number: int | None = None) -> int:
        """Create (or replace) a meter; works while running. Returns its numeric ID
        (``number``, or the next free one)."""
        return self._state.add_meter(meter_id, schema, number)

    def expire_tokens(self) -> None:
        """Make every token issued so far expired (to test a client's 401 handling)."""
        self._state.expire_tokens()
