"""Every httpx error that can reach a user is said in words, never as a Python class name.

Each :class:`httpx.RequestError` class is raised by the real HTTP transport under the real
client (the emulator answers everything else), and every surface a user reads is checked:
sign-in, upload, connection test, meter definition, audit trail, and `zmed-upload send`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from zmed_gui.core.connections import CUSTOM, Connection
from zmed_gui.core.errors import ZmedError
from zmed_gui.core.zuora import (
    NoAnswer,
    NotSent,
    ZuoraClient,
    fetch_audit_errors,
    fetch_meter_definition,
    test_connection,
)
from zmed_gui.emulator import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_METER_ID, Emulator


def _subclasses(cls: type[BaseException]) -> Iterator[type[BaseException]]:
    yield cls
    for sub in cls.__subclasses__():
        yield from _subclasses(sub)


# every error httpx raises for a request: timeouts, network, protocol, proxy, decoding...
HTTPX_ERRORS = sorted(
    {c for c in _subclasses(httpx.RequestError) if c.__module__.startswith("httpx")},
    key=lambda c: c.__name__,
)
CLASS_NAMES = {c.__name__ for c in _subclasses(httpx.HTTPError)} | {
    c.__name__ for c in _subclasses(OSError)
}
_CAMEL = re.compile(r"\b[A-Z][a-z]+(?:[A-Z][a-z0-9]+)+\b")


# the demo meter's field names: the user's own words, CamelCase by Zuora's choice
FIELDS = {"CustomerId", "UsageIdentifier", "UsageDate", "Quantity"}


def assert_plain(text: str) -> None:
    """No exception class name (nor anything shaped like one) in what the user reads."""
    assert text.strip(), "nothing was said"
    named = [n for n in CLASS_NAMES if re.search(rf"\b{n}\b", text)]
    assert not named, f"{named} in {text!r}"
    assert not [w for w in _CAMEL.findall(text) if w not in FIELDS], text


def test_the_list_holds_the_usual_suspects() -> None:
    names = {c.__name__ for c in HTTPX_ERRORS}
    assert {"ReadTimeout", "ConnectError", "RemoteProtocolError", "DecodingError"} <= names


@pytest.fixture
def emu() -> Iterator[Emulator]:
    with Emulator() as e:
        yield e


Failing = Callable[..., None]


@pytest.fixture
def fail(monkeypatch: pytest.MonkeyPatch) -> Failing:
    """``fail(cls, path=..., sent=...)``: requests to ``path`` raise ``cls`` in the transport.

    ``sent`` first reports the request body as written (httpx's trace), as a timeout or a
    dropped connection after sending does.
    """
    real = httpx.HTTPTransport.handle_request

    def arm(cls: type[httpx.RequestError], path: str = "", sent: bool = False) -> None:
        def handle(self: httpx.HTTPTransport, request: httpx.Request) -> httpx.Response:
            if path not in request.url.path:
                return real(self, request)
            trace = request.extensions.get("trace")
            if sent and trace is not None:
                trace("http11.send_request_body.complete", {})
            raise cls("[Errno 104] the peer went away", request=request)

        monkeypatch.setattr(httpx.HTTPTransport, "handle_request", handle)

    return arm


def client_for(emu: Emulator) -> ZuoraClient:
    return ZuoraClient(emu.base_url, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, timeout=5)


@pytest.mark.parametrize("cls", HTTPX_ERRORS, ids=lambda c: c.__name__)
def test_core_says_each_error_in_words(
    cls: type[httpx.RequestError], emu: Emulator, fail: Failing
) -> None:
    url = emu.upload_url(style="bulk")
    # sign-in
    fail(cls, "/oauth/token")
    with client_for(emu) as client, pytest.raises((NotSent, ZmedError)) as not_signed_in:
        client.token()
    assert_plain(str(not_signed_in.value))
    conn = Connection(
        name="Emu", environment=CUSTOM, custom_base_url=emu.base_url, client_id=DEMO_CLIENT_ID
    )
    assert_plain(test_connection(conn, DEMO_CLIENT_SECRET, DEMO_METER_ID, timeout=5).message)

    # the upload itself: before the body left, and after
    fail(cls, "/usage/bulk/")
    with client_for(emu) as client:
        with pytest.raises((NotSent, ZmedError)) as not_sent:  # ZmedError: a bad address
            client.post_events(url, b'[{"a":1}]')
        assert_plain(str(not_sent.value))
        fail(cls, "/usage/bulk/", sent=True)
        with pytest.raises((NoAnswer, ZmedError)) as no_answer:
            client.post_events(url, b'[{"a":1}]')
        assert_plain(str(no_answer.value))
    assert_plain(test_connection(conn, DEMO_CLIENT_SECRET, DEMO_METER_ID, timeout=5).message)

    # the meter definition and the audit trail
    since = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    calls: dict[str, Callable[[ZuoraClient], object]] = {
        "/meters/export": lambda c: fetch_meter_definition(c, 12),
        "/auditTrail/": lambda c: fetch_audit_errors(c, 12, since, since + dt.timedelta(days=1)),
    }
    for path, call in calls.items():
        fail(cls, path)
        with client_for(emu) as client, pytest.raises(ZmedError) as said:
            call(client)
        assert_plain(str(said.value))


@pytest.mark.parametrize("cls", HTTPX_ERRORS, ids=lambda c: c.__name__)
def test_the_cli_says_each_error_in_words(
    cls: type[httpx.RequestError],
    emu: Emulator,
    fail: Failing,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from zmed_gui.cli import main

    monkeypatch.setenv("ZMED_CLIENT_SECRET", DEMO_CLIENT_SECRET)
    data = tmp_path / "usage.csv"
    data.write_text(
        "CustomerId,UsageIdentifier,UsageDate,Quantity\nC1,api-calls,2026-11-01T10:00:00Z,1\n",
        encoding="utf-8",
    )
    args = ["--base-url", emu.base_url, "--meter", DEMO_METER_ID, "--client-id", DEMO_CLIENT_ID]
    fail(cls, "/usage/bulk/", sent=True)  # sent, then no answer: the rows are uncertain
    result = tmp_path / "report.csv"
    main(["send", str(data), *args, "--report", str(result)])
    out, err = capsys.readouterr()
    assert_plain(out + err)
    if result.exists():
        assert_plain(result.read_text(encoding="utf-8"))
    fail(cls, "/oauth/token")  # not even signed in
    main(["send", str(data), *args])
    out, err = capsys.readouterr()
    assert_plain(out + err)
