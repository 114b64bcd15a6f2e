"""Fetching a meter's definition over loopback: the emulator, and a stub for what it
cannot do (a persistent 401, no answer, an answer that is not JSON)."""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Callable, Iterator

import pytest

from zmed_gui.core.errors import ConnectionProblem, OptionsError, ZuoraUnreachable
from zmed_gui.core.schema import FieldType, Schema, SchemaField
from zmed_gui.core.zuora import REFUSED, ZuoraClient, fetch_meter_definition
from zmed_gui.emulator import (
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    DEMO_METER_ID,
    DEMO_METER_NUMBER,
    Emulator,
    EmulatorConfig,
    demo_schema,
)


@pytest.fixture
def emu() -> Iterator[Emulator]:
    with Emulator() as e:
        yield e


def client_for(base_url: str, secret: str = DEMO_CLIENT_SECRET) -> ZuoraClient:
    return ZuoraClient(base_url, DEMO_CLIENT_ID, secret, timeout=5)


def test_fetches_the_demo_meter(emu: Emulator) -> None:
    with client_for(emu.base_url) as client:
        definition = fetch_meter_definition(client, DEMO_METER_NUMBER)
    assert definition.schema.names == demo_schema().names
    assert definition.event_time_field == "UsageDate"
    assert definition.event_time_format == "yyyy-MM-dd'T'HH:mm:ss'Z'"
    assert definition.meter_number == DEMO_METER_NUMBER and definition.global_id == DEMO_METER_ID


def test_fetches_an_added_meter_by_number_given_as_text(emu: Emulator) -> None:
    schema = Schema([SchemaField("Account", FieldType.STRING), SchemaField("Day", FieldType.DATE)])
    number = emu.add_meter("1" * 32, schema, number=77)
    with client_for(emu.base_url) as client:
        definition = fetch_meter_definition(client, f" {number} ")
    assert [(f.name, f.type, f.date_format) for f in definition.schema.fields] == [
        ("Account", FieldType.STRING, ""),
        ("Day", FieldType.DATE, "yyyy-MM-dd"),
    ]
    assert definition.event_time_field == "Day"


def test_an_expired_token_is_renewed_once(emu: Emulator) -> None:
    with client_for(emu.base_url) as client:
        fetch_meter_definition(client, DEMO_METER_NUMBER)
        emu.expire_tokens()
        assert fetch_meter_definition(client, DEMO_METER_NUMBER).schema.names
        assert client.token_fetches == 2


def test_unknown_meter_number(emu: Emulator) -> None:
    with client_for(emu.base_url) as client, pytest.raises(ConnectionProblem) as info:
        fetch_meter_definition(client, 999)
    assert str(info.value) == (
        "There is no meter number 999 on this tenant (HTTP 404: The meter 999 was not found); "
        "the meter number is shown on the meter's page in Zuora Mediation."
    )


@pytest.mark.parametrize("given", ["abc", DEMO_METER_ID, "-3", "", "4.5", "٣"])
def test_not_a_meter_number(emu: Emulator, given: str) -> None:
    with client_for(emu.base_url) as client, pytest.raises(OptionsError) as info:
        fetch_meter_definition(client, given)
    assert "is not a whole number; the meter number is shown on the meter's page" in str(info.value)


def test_wrong_secret(emu: Emulator) -> None:
    with client_for(emu.base_url, "wrong") as client, pytest.raises(ConnectionProblem) as info:
        fetch_meter_definition(client, DEMO_METER_NUMBER)
    assert str(info.value) == REFUSED


def test_no_permission() -> None:
    with (
        Emulator(EmulatorConfig(forbidden="permission")) as emu,
        client_for(emu.base_url) as client,
        pytest.raises(ConnectionProblem) as info,
    ):
        fetch_meter_definition(client, DEMO_METER_NUMBER)
    message = str(info.value)
    assert message.startswith("Zuora does not let this OAuth client read meter 4061")
    assert "(HTTP 403: " in message and "Configure Meters and Events" in message


def test_nothing_listening() -> None:
    with Emulator() as emu:
        base = emu.base_url
    with client_for(base) as client, pytest.raises(ZuoraUnreachable) as info:
        fetch_meter_definition(client, 1)
    assert str(info.value).startswith(f"Cannot reach {base} to sign in")


# ------------------------------------------------------------ a stub for the rest

Answer = Callable[[http.server.BaseHTTPRequestHandler], None]


@pytest.fixture
def stub() -> Iterator[Callable[[Answer], str]]:
    servers: list[http.server.ThreadingHTTPServer] = []

    def start(answer: Answer) -> str:
        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:  # the token
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                self._reply(200, json.dumps({"access_token": "t", "expires_in": 3599}).encode())

            def do_GET(self) -> None:
                answer(self)

            def _reply(self, status: int, body: bytes, ctype: str = "application/json") -> None:
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def reply(status: int, body: bytes, ctype: str = "application/json") -> Answer:
    def answer(h: http.server.BaseHTTPRequestHandler) -> None:
        h._reply(status, body, ctype)  # type: ignore[attr-defined]

    return answer


def fetch(base: str) -> str:
    with client_for(base) as client, pytest.raises(ConnectionProblem) as info:
        fetch_meter_definition(client, 12)
    return str(info.value)


def test_a_401_with_a_fresh_token_is_about_credentials(stub: Callable[[Answer], str]) -> None:
    seen: list[str] = []

    def answer(h: http.server.BaseHTTPRequestHandler) -> None:
        seen.append(h.headers["Authorization"])
        h._reply(401, b'{"success": false, "errors": [{"code": "1", "message": "Bad token"}]}')  # type: ignore[attr-defined]

    message = fetch(stub(answer))
    assert message == (
        "Zuora refused the sign-in when asked for meter 12 (HTTP 401: Bad token); check the "
        "client ID and secret of the connection in Connections."
    )
    assert seen == ["Bearer t", "Bearer t"]  # asked again once, with a token fetched anew


def test_no_answer(stub: Callable[[Answer], str]) -> None:
    def hang_up(h: http.server.BaseHTTPRequestHandler) -> None:
        h.close_connection = True
        h.connection.close()

    base = stub(hang_up)
    with client_for(base) as client, pytest.raises(ZuoraUnreachable) as info:
        fetch_meter_definition(client, 12)
    assert str(info.value).startswith(
        f"{base} did not answer the request for the meter definition (the server closed the "
        "connection without an answer)"
    )


def test_an_answer_that_is_not_json(stub: Callable[[Answer], str]) -> None:
    base = stub(reply(200, b"<html>Sign in</html>", "text/html; charset=utf-8"))
    assert fetch(base) == (
        f"{base} answered the request for meter 12 with something that is not JSON "
        "(text/html); check the environment or base URL of the connection."
    )


def test_json_that_is_not_a_meter(stub: Callable[[Answer], str]) -> None:
    assert fetch(stub(reply(200, b'{"success": true}'))) == (
        "Zuora's definition of meter 12: it has no event fields: expected "
        "schemas[].schema.properties (a meter exported from Zuora) or properties/fields "
        "(an event definition)."
    )


def test_busy_and_other_refusals(stub: Callable[[Answer], str]) -> None:
    busy = reply(503, b'{"message": "Service unavailable"}')
    with client_for(stub(busy)) as client, pytest.raises(ZuoraUnreachable) as info:
        fetch_meter_definition(client, 12)
    assert str(info.value) == (
        "Zuora could not export meter 12 just now (HTTP 503: Service unavailable); try again "
        "in a minute."
    )
    bad = reply(400, b'{"success": false, "reasons": [{"code": 5, "message": "Nope."}]}')
    assert fetch(stub(bad)) == "Zuora refused to export meter 12 (HTTP 400: Nope)."
