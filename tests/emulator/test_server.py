"""The emulator's Zuora surface over loopback, with httpx as the client."""

from __future__ import annotations

import gzip
import json
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.emulator._helpers import GOOD, bearer, event, get_token, token_form
from zmed_gui.core.schema import FieldType, Schema, SchemaField
from zmed_gui.emulator import (
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    DEMO_METER_ID,
    Emulator,
    EmulatorConfig,
    FaultPlan,
)


@pytest.fixture
def emu() -> Iterator[Emulator]:
    with Emulator() as e:
        yield e


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=10) as c:
        yield c


@pytest.fixture
def auth(client: httpx.Client, emu: Emulator) -> dict[str, str]:
    return bearer(get_token(client, emu))


# -- lifecycle ------------------------------------------------------------------------------
def test_start_stop_frees_the_port_and_threads() -> None:
    before = threading.active_count()
    emu = Emulator().start()
    assert emu.base_url.startswith("http://127.0.0.1:") and emu.port > 0
    with httpx.Client() as c:  # a keep-alive connection stays open until stop()
        assert c.get(emu.base_url + "/_emulator/stats").status_code == 200
        emu.stop()
    emu.stop()  # twice is fine
    assert not emu.running
    time.sleep(0.05)
    assert threading.active_count() <= before
    with pytest.raises(httpx.ConnectError):
        httpx.get(emu.base_url + "/_emulator/stats", timeout=2)


def test_upload_urls(emu: Emulator) -> None:
    assert emu.upload_url() == f"{emu.base_url}/meters/streaming/ingestion/{DEMO_METER_ID}"
    assert emu.upload_url("abc", style="bulk") == f"{emu.base_url}/usage/bulk/abc"
    with pytest.raises(ValueError):
        emu.upload_url(style="other")


# -- OAuth ----------------------------------------------------------------------------------
def test_token_issued(client: httpx.Client, emu: Emulator) -> None:
    r = client.post(emu.token_url, data=token_form())
    assert r.status_code == 200
    body = r.json()
    assert body["token_type"] == "bearer" and body["expires_in"] == 3599
    assert set(body) == {"access_token", "token_type", "expires_in", "scope", "jti"}
    assert len(body["access_token"]) >= 32
    assert r.headers["cache-control"] == "no-store"
    uuid.UUID(r.headers["zuora-request-id"])
    other = get_token(client, emu)
    assert other != body["access_token"]
    assert emu.stats()["tokens_issued"] == 2


def test_token_via_basic_auth(client: httpx.Client, emu: Emulator) -> None:
    r = client.post(
        emu.token_url,
        data={"grant_type": "client_credentials"},
        auth=(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET),
    )
    assert r.status_code == 200


@pytest.mark.parametrize(
    ("form", "status", "error"),
    [
        ({"client_id": DEMO_CLIENT_ID, "client_secret": "nope"}, 401, "invalid_client"),
        ({"client_id": "someone", "client_secret": DEMO_CLIENT_SECRET}, 401, "invalid_client"),
        ({"client_id": DEMO_CLIENT_ID}, 401, "invalid_client"),
        ({"grant_type": "password"}, 400, "unsupported_grant_type"),
        ({"grant_type": ""}, 400, "invalid_request"),
    ],
)
def test_token_refused(
    client: httpx.Client, emu: Emulator, form: dict[str, str], status: int, error: str
) -> None:
    data = token_form()
    data = {k: v for k, v in data.items() if k not in ("client_secret",) or "client_id" not in form}
    data.update(form)
    if "client_secret" not in form and "client_id" in form:
        data.pop("client_secret", None)
    r = client.post(emu.token_url, data=data)
    assert r.status_code == status
    assert r.json()["error"] == error
    assert DEMO_CLIENT_SECRET not in r.text


def test_token_needs_form_encoding(client: httpx.Client, emu: Emulator) -> None:
    r = client.post(emu.token_url, json=token_form())
    assert r.status_code == 400 and r.json()["error"] == "invalid_request"
    assert client.get(emu.token_url).status_code == 405


def test_token_expiry() -> None:
    with Emulator(EmulatorConfig(token_lifetime=1)) as emu, httpx.Client() as client:
        token = get_token(client, emu)
        assert client.post(emu.upload_url(), json=GOOD, headers=bearer(token)).status_code == 200
        time.sleep(1.1)
        r = client.post(emu.upload_url(), json=GOOD, headers=bearer(token))
        assert r.status_code == 401 and "expired" in r.json()["message"]
        assert "invalid_token" in r.headers["www-authenticate"]


def test_expire_tokens(client: httpx.Client, emu: Emulator, auth: dict[str, str]) -> None:
    emu.expire_tokens()
    assert client.post(emu.upload_url(), json=GOOD, headers=auth).status_code == 401
    fresh = bearer(get_token(client, emu))
    assert client.post(emu.upload_url(), json=GOOD, headers=fresh).status_code == 200


# -- ingestion: the happy path ---------------------------------------------------------------
@pytest.mark.parametrize("style", ["streaming", "bulk"])
def test_batch_accepted(
    client: httpx.Client, emu: Emulator, auth: dict[str, str], style: str
) -> None:
    batch = [event(CustomerId=f"A-{i}", Quantity=i) for i in range(5)]
    r = client.post(emu.upload_url(style=style), json=batch, headers=auth)
    assert r.status_code == 200
    assert r.json() == {"success": True, "message": "5 events received"}
    uuid.UUID(r.headers["zuora-request-id"])
    assert emu.accepted_events() == batch
    assert emu.accepted_events(DEMO_METER_ID) == batch
    assert emu.accepted_events("nope") == []
    stats = emu.stats()
    assert stats["calls"] == 1 and stats["accepted_events"] == 5
    assert stats["by_status"] == {"200": 1} and stats["rejected_calls"] == 0


def test_single_object_and_optional_field(
    client: httpx.Client, emu: Emulator, auth: dict[str, str]
) -> None:
    one = event(Region="EMEA")
    assert client.post(emu.upload_url(), json=one, headers=auth).status_code == 200
    nulled = event(Region=None)
    assert client.post(emu.upload_url(), json=nulled, headers=auth).status_code == 200
    assert emu.accepted_events() == [one, nulled]


def test_gzip_request_and_response(
    client: httpx.Client, emu: Emulator, auth: dict[str, str]
) -> None:
    batch = [event(CustomerId=f"C{i}") for i in range(300)]
    body = gzip.compress(json.dumps(batch).encode())
    headers = auth | {"Content-Type": "application/json", "Content-Encoding": "gzip"}
    r = client.post(emu.upload_url(), content=body, headers=headers)
    assert r.status_code == 200, r.text
    assert len(emu.accepted_events()) == 300
    assert emu.stats()["gzip_requests"] == 1
    # A large error body comes back gzipped when asked for (httpx decodes it).
    bad = [event(Quantity="x") for _ in range(50)]
    r = client.post(emu.upload_url(), json=bad, headers=auth | {"Accept-Encoding": "gzip"})
    assert r.status_code == 400 and r.headers["content-encoding"] == "gzip"
    assert len(r.json()["reasons"]) == 50
    r = client.post(emu.upload_url(), json=bad, headers=auth | {"Accept-Encoding": "identity"})
    assert "content-encoding" not in r.headers
    # Small bodies are never gzipped.
    r = client.post(emu.upload_url(), json=GOOD, headers=auth | {"Accept-Encoding": "gzip"})
    assert "content-encoding" not in r.headers


def test_bad_gzip(client: httpx.Client, emu: Emulator, auth: dict[str, str]) -> None:
    headers = auth | {"Content-Type": "application/json", "Content-Encoding": "gzip"}
    r = client.post(emu.upload_url(), content=b"not gzip at all", headers=headers)
    assert r.status_code == 400 and "gzip" in r.json()["message"]
    truncated = gzip.compress(json.dumps([GOOD]).encode())[:-6]
    assert client.post(emu.upload_url(), content=truncated, headers=headers).status_code == 400
    assert emu.accepted_events() == []


def test_chunked_request_body(client: httpx.Client, emu: Emulator, auth: dict[str, str]) -> None:
    data = json.dumps([GOOD] * 3).encode()

    def chunks() -> Iterator[bytes]:
        for i in range(0, len(data), 50):
            yield data[i : i + 50]

    headers = auth | {"Content-Type": "application/json"}
    r = client.post(emu.upload_url(), content=chunks(), headers=headers)
    assert r.status_code == 200, r.text
    assert len(emu.accepted_events()) == 3


# -- ingestion: refusals --------------------------------------------------------------------
def test_auth_checks(client: httpx.Client, emu: Emulator) -> None:
    url = emu.upload_url()
    assert client.post(url, json=GOOD).status_code == 401
    assert client.post(url, json=GOOD, headers=bearer("made-up")).status_code == 401
    r = client.post(url, json=GOOD, headers={"Authorization": "Basic abc"})
    assert r.status_code == 401 and r.json()["success"] is False
    assert emu.stats()["by_status"] == {"401": 3}
    assert emu.stats()["rejected_calls"] == 3


def test_unknown_meter(client: httpx.Client, emu: Emulator, auth: dict[str, str]) -> None:
    r = client.post(emu.upload_url("0" * 32), json=GOOD, headers=auth)
    assert r.status_code == 404 and "0" * 32 in r.json()["message"]


def test_content_type_required(client: httpx.Client, emu: Emulator, auth: dict[str, str]) -> None:
    body = json.dumps(GOOD).encode()
    r = client.post(emu.upload_url(), content=body, headers=auth | {"Content-Type": "text/plain"})
    assert r.status_code == 415
    r = client.post(emu.upload_url(), content=body, headers=auth)
    assert r.status_code == 415
    ok = auth | {"Content-Type": "application/json; charset=utf-8"}
    assert client.post(emu.upload_url(), content=body, headers=ok).status_code == 200


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b"{not json", "INVALID_JSON"),
        (b"[]", "EMPTY_BATCH"),
        (b'"text"', "INVALID_BODY"),
        (b"[1, 2]", None),
        (b'{"Quantity": NaN}', "INVALID_JSON"),
        (b"\xff\xfe", "INVALID_JSON"),
        (b"", "INVALID_JSON"),
    ],
)
def test_bad_bodies(
    client: httpx.Client, emu: Emulator, auth: dict[str, str], content: bytes, code: str | None
) -> None:
    headers = auth | {"Content-Type": "application/json"}
    r = client.post(emu.upload_url(), content=content, headers=headers)
    assert r.status_code == 400
    body = r.json()
    assert body["success"] is False and body["message"]
    if code:
        assert body["code"] == code
    else:
        assert body["reasons"][0]["code"] == "NOT_AN_OBJECT"
    assert emu.accepted_events() == []


def test_one_bad_event_rejects_the_call(
    client: httpx.Client, emu: Emulator, auth: dict[str, str]
) -> None:
    batch = [event(), event(), event(), event(Quantity="12"), event(CustomerId="")]
    r = client.post(emu.upload_url(), json=batch, headers=auth)
    assert r.status_code == 400
    body = r.json()
    assert body["success"] is False
    assert body["reasons"] == [
        {
            "index": 3,
            "field": "Quantity",
            "code": "INVALID_TYPE",
            "message": "event 3: Quantity must be a number",
        },
        {
            "index": 4,
            "field": "CustomerId",
            "code": "EMPTY_FIELD",
            "message": "event 4: CustomerId is required and must not be empty",
        },
    ]
    assert emu.accepted_events() == []
    assert emu.stats()["accepted_events"] == 0


def test_reasons_are_capped(client: httpx.Client, emu: Emulator, auth: dict[str, str]) -> None:
    batch = [event(Quantity=True) for _ in range(500)]
    body = client.post(emu.upload_url(), json=batch, headers=auth).json()
    assert len(body["reasons"]) == 100 and body["total_reasons"] == 500
    assert "500" in body["message"]


def test_limits() -> None:
    config = EmulatorConfig(max_events_per_call=10, max_payload_bytes=2000)
    with Emulator(config) as emu, httpx.Client() as client:
        auth = bearer(get_token(client, emu))
        r = client.post(emu.upload_url(), json=[GOOD] * 11, headers=auth)
        assert r.status_code == 413 and "10" in r.json()["message"]
        padded = [event(CustomerId="x" * 300)] * 10
        assert client.post(emu.upload_url(), json=padded, headers=auth).status_code == 413
        small = [event(CustomerId=str(i), UsageDate="2026-11-26") for i in range(10)]
        assert len(json.dumps(small)) < 2000
        assert client.post(emu.upload_url(), json=small, headers=auth).status_code == 200
        # The size counts after decompression: 20 kB of JSON in a tiny gzip is too big.
        body = gzip.compress(json.dumps([GOOD] * 200).encode())
        assert len(body) < 2000
        headers = auth | {"Content-Type": "application/json", "Content-Encoding": "gzip"}
        assert client.post(emu.upload_url(), content=body, headers=headers).status_code == 413
        # The connection is still usable after a drained oversize body.
        r = client.post(emu.upload_url(), json=small, headers=auth)
        assert r.status_code == 200
        assert emu.stats()["by_status"] == {"413": 3, "200": 2}


def test_track_id(client: httpx.Client, emu: Emulator, auth: dict[str, str]) -> None:
    r = client.post(emu.upload_url(), json=GOOD, headers=auth | {"Zuora-Track-Id": "batch-0001"})
    assert r.status_code == 200 and r.headers["zuora-track-id"] == "batch-0001"
    for bad in ("x" * 65, "a:b", "a;b", 'a"b', "a'b", "caf\u00e9"):
        r = client.post(
            emu.upload_url(), json=GOOD, headers=auth | {"Zuora-Track-Id": bad.encode("latin-1")}
        )
        assert r.status_code == 400, bad
        assert "zuora-track-id" not in r.headers
    r = client.post(emu.upload_url(), json=GOOD, headers=auth | {"Zuora-Track-Id": "x" * 64})
    assert r.status_code == 200
    assert emu.stats()["track_ids"] == ["batch-0001", "x" * 64]
    assert len(emu.accepted_events()) == 2


def test_entity_and_org_ids(client: httpx.Client, emu: Emulator, auth: dict[str, str]) -> None:
    headers = auth | {"Zuora-Entity-Ids": "ent-1", "Zuora-Org-Ids": "org-a, org-b"}
    assert client.post(emu.upload_url(), json=GOOD, headers=headers).status_code == 200
    stats = emu.stats()
    assert stats["entity_ids"] == ["ent-1"] and stats["org_ids"] == ["org-a", "org-b"]


def test_probe_tells_401_404_and_exists(client: httpx.Client, emu: Emulator) -> None:
    token = get_token(client, emu)
    assert client.get(emu.upload_url()).status_code == 401
    assert client.get(emu.upload_url("f" * 32)).status_code == 401  # no meter list to strangers
    assert client.get(emu.upload_url("f" * 32), headers=bearer(token)).status_code == 404
    r = client.get(emu.upload_url(style="bulk"), headers=bearer(token))
    assert r.status_code == 405 and r.headers["allow"] == "POST"
    r = client.head(emu.upload_url(), headers=bearer(token))
    assert r.status_code == 405 and r.content == b""
    stats = emu.stats()
    assert stats["probes"] == 5 and stats["calls"] == 0


def test_rate_limit() -> None:
    with Emulator(EmulatorConfig(calls_per_minute=3)) as emu, httpx.Client() as client:
        auth = bearer(get_token(client, emu))
        codes = []
        for _ in range(4):
            r = client.post(emu.upload_url(), json=GOOD, headers=auth)
            codes.append(r.status_code)
        assert codes == [200, 200, 200, 429]
        assert r.headers["ratelimit-limit"] == "3"
        assert r.headers["ratelimit-remaining"] == "0"
        assert 1 <= int(r.headers["retry-after"]) <= 60
        assert int(r.headers["ratelimit-reset"]) == int(r.headers["retry-after"])
        assert len(emu.accepted_events()) == 3
        emu._state._window_start -= 61  # a minute later, a fresh window
        r = client.post(emu.upload_url(), json=GOOD, headers=auth)
        assert r.status_code == 200 and r.headers["ratelimit-remaining"] == "2"


def test_add_meter_while_running(client: httpx.Client, emu: Emulator, auth: dict[str, str]) -> None:
    schema = Schema(
        [
            SchemaField("Account", FieldType.STRING),
            SchemaField("Day", FieldType.DATE),
            SchemaField("Units", FieldType.INTEGER),
            SchemaField("Billable", FieldType.BOOLEAN, required=False),
        ]
    )
    meter = "1" * 32
    emu.add_meter(meter, schema)
    ok = {"Account": "A", "Day": "2026-02-28", "Units": 3, "Billable": False}
    assert client.post(emu.upload_url(meter), json=ok, headers=auth).status_code == 200
    r = client.post(emu.upload_url(meter), json=dict(ok, Units=3.5), headers=auth)
    assert r.json()["reasons"][0]["code"] == "INVALID_TYPE"
    r = client.post(emu.upload_url(meter), json=dict(ok, Day="2026-02-30"), headers=auth)
    assert r.json()["reasons"][0]["code"] == "INVALID_FORMAT"
    assert emu.accepted_events(meter) == [ok]
    assert emu.stats()["events_by_meter"] == {DEMO_METER_ID: 0, meter: 1}


# -- outside the Zuora surface --------------------------------------------------------------
def test_control_endpoints(client: httpx.Client, emu: Emulator, auth: dict[str, str]) -> None:
    batch = [event(CustomerId=f"A{i}") for i in range(3)]
    client.post(emu.upload_url(), json=batch, headers=auth)
    stats = client.get(emu.base_url + "/_emulator/stats").json()
    assert stats["accepted_events"] == 3
    r = client.get(emu.base_url + "/_emulator/events", params={"meter": DEMO_METER_ID})
    assert r.headers["content-type"].startswith("application/x-ndjson")
    assert [json.loads(line) for line in r.text.splitlines()] == batch
    assert client.post(emu.base_url + "/_emulator/reset").status_code == 200
    assert emu.accepted_events() == [] and emu.stats()["calls"] == 0
    # Tokens survive a reset.
    assert client.post(emu.upload_url(), json=GOOD, headers=auth).status_code == 200
    assert client.get(emu.base_url + "/_emulator/nothing").status_code == 404
    assert client.get(emu.base_url + "/somewhere/else").status_code == 404


def test_record_file(tmp_path: Path) -> None:
    path = tmp_path / "out" / "events.ndjson"
    with Emulator(EmulatorConfig(record_path=path)) as emu, httpx.Client() as client:
        auth = bearer(get_token(client, emu))
        client.post(
            emu.upload_url(), json=[event(CustomerId="A"), event(CustomerId="B")], headers=auth
        )
        client.post(emu.upload_url(), json=[event(Quantity="bad")], headers=auth)
    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert [x["event"]["CustomerId"] for x in lines] == ["A", "B"]
    assert {x["meter_id"] for x in lines} == {DEMO_METER_ID}
    uuid.UUID(lines[0]["request_id"])


def test_concurrent_clients(emu: Emulator) -> None:
    with httpx.Client() as c:
        token = get_token(c, emu)
    errors: list[str] = []

    def worker(n: int) -> None:
        with httpx.Client(timeout=10) as c:
            for j in range(5):
                batch = [event(CustomerId=f"{n}-{j}-{k}") for k in range(20)]
                r = c.post(emu.upload_url(), json=batch, headers=bearer(token))
                if r.status_code != 200:
                    errors.append(r.text)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    events = emu.accepted_events()
    assert len(events) == 8 * 5 * 20 == len({e["CustomerId"] for e in events})


def test_secrets_never_logged(
    client: httpx.Client, emu: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("DEBUG", logger="zmed_gui.emulator")
    token = get_token(client, emu)
    client.post(emu.upload_url(), json=GOOD, headers=bearer(token))
    client.post(emu.token_url + "?client_secret=leak", data={"client_secret": "wrong"})
    assert caplog.records  # requests are logged at DEBUG ...
    assert token not in caplog.text and DEMO_CLIENT_SECRET not in caplog.text
    assert "leak" not in caplog.text and "wrong" not in caplog.text


@pytest.mark.parametrize(
    "raw",
    [b"GARBAGE\r\n\r\n", b"OPTIONS / HTTP/1.1\r\nHost: x\r\n\r\n", b"GET / HTTP/9.9\r\n\r\n"],
)
def test_malformed_requests_get_json_and_a_request_id(emu: Emulator, raw: bytes) -> None:
    with socket.create_connection(("127.0.0.1", emu.port), timeout=5) as sock:
        sock.sendall(raw)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.") and b" 200 " not in head.split(b"\r\n")[0]
    assert b"Zuora-Request-Id: " in head
    assert json.loads(body)["success"] is False


def test_concurrency_limit() -> None:
    config = EmulatorConfig(max_concurrent_calls=1, faults=FaultPlan.parse("call1=slow:0.6"))
    with Emulator(config) as emu, httpx.Client(timeout=10) as client:
        token = get_token(client, emu)
        statuses: list[int] = []

        def slow_call() -> None:
            with httpx.Client(timeout=10) as other:
                statuses.append(
                    other.post(emu.upload_url(), json=GOOD, headers=bearer(token)).status_code
                )

        t = threading.Thread(target=slow_call)
        t.start()
        deadline = time.monotonic() + 5
        while emu.stats()["calls"] < 1 and time.monotonic() < deadline:
            time.sleep(0.01)
        r = client.post(emu.upload_url(), json=GOOD, headers=bearer(token))
        t.join()
        assert r.status_code == 429 and r.headers["retry-after"] == "1"
        assert "same time" in r.json()["message"]
        assert statuses == [200]
        assert client.post(emu.upload_url(), json=GOOD, headers=bearer(token)).status_code == 200


def test_ipv6_loopback() -> None:
    try:
        emu = Emulator(host="::1").start()
    except OSError:
        pytest.skip("no IPv6 loopback here")
    try:
        assert emu.base_url.startswith("http://[::1]:")
        with httpx.Client() as client:
            assert client.get(emu.base_url + "/_emulator/stats").status_code == 200
    finally:
        emu.stop()
