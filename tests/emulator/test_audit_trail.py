"""``GET /meters/{meterId}/auditTrail/entries``: parameters, paging, windows, hostile input."""

from __future__ import annotations

import base64
import json
import socket
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.emulator._helpers import JSON, audit_params, bearer, event, get_token, iso, now_ms
from zmed_gui.emulator import DEMO_METER_NUMBER, Emulator, EmulatorConfig, PostReceiptRule

ALL = [PostReceiptRule("UsageIdentifier", pattern=".*", message="Rejected by the test.")]


@pytest.fixture(scope="module")
def emu() -> Iterator[Emulator]:
    with Emulator(EmulatorConfig(post_receipt_rules=ALL)) as e:
        yield e


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=10) as c:
        yield c


@pytest.fixture
def auth(client: httpx.Client, emu: Emulator) -> dict[str, str]:
    emu.reset()
    return bearer(get_token(client, emu)) | JSON


def send(client: httpx.Client, emu: Emulator, auth: dict[str, str], n: int, tag: str) -> None:
    batch = [event(CustomerId=f"{tag}-{i}") for i in range(n)]
    r = client.post(emu.upload_url(), json=batch, headers=auth)
    assert r.status_code == 200, r.text


def get(client: httpx.Client, url: str, auth: dict[str, str], params: Any) -> httpx.Response:
    return client.get(url, params=params, headers=auth)


def all_pages(
    client: httpx.Client, emu: Emulator, auth: dict[str, str], **params: Any
) -> list[list[dict[str, Any]]]:
    pages = []
    query = audit_params(**params)
    while True:
        r = get(client, emu.audit_url(), auth, query)
        assert r.status_code == 200, r.text
        body = r.json()
        pages.append(body["data"])
        if body["nextPage"] is None:
            return pages
        query = query | {"cursor": body["nextPage"]}
        assert len(pages) < 100


def assert_refused(r: httpx.Response, status: int = 400) -> dict[str, Any]:
    assert r.status_code == status, r.text
    body = r.json()
    assert body["success"] is False and set(body) == {"success", "errors"}
    assert body["errors"] and all(set(e) == {"code", "message"} for e in body["errors"])
    assert "Traceback" not in r.text
    return body


def test_paging_through_more_than_500_entries(
    client: httpx.Client, emu: Emulator, auth: dict[str, str]
) -> None:
    send(client, emu, auth, 1200, "p")
    pages = all_pages(client, emu, auth, pageSize="500")
    assert [len(p) for p in pages] == [500, 500, 200]
    ids = [e["payload"]["CustomerId"] for p in pages for e in p]
    assert ids == [f"p-{i}" for i in range(1200)]
    assert len({e["eventId"] for p in pages for e in p}) == 1200
    # The default page size is 30.
    first = get(client, emu.audit_url(), auth, audit_params()).json()
    assert len(first["data"]) == 30 and first["nextPage"] and first["previousPage"] is None


def test_a_full_last_page_is_followed_by_an_empty_one(
    client: httpx.Client, emu: Emulator, auth: dict[str, str]
) -> None:
    send(client, emu, auth, 1000, "q")
    pages = all_pages(client, emu, auth, pageSize="500")
    assert [len(p) for p in pages] == [500, 500, 0]


def test_previous_page(client: httpx.Client, emu: Emulator, auth: dict[str, str]) -> None:
    send(client, emu, auth, 25, "b")
    query = audit_params(pageSize="10")
    one = get(client, emu.audit_url(), auth, query).json()
    two = get(client, emu.audit_url(), auth, query | {"cursor": one["nextPage"]}).json()
    assert two["previousPage"]
    back = get(client, emu.audit_url(), auth, query | {"cursor": two["previousPage"]}).json()
    assert [e["eventId"] for e in back["data"]] == [e["eventId"] for e in one["data"]]
    three = get(client, emu.audit_url(), auth, query | {"cursor": two["nextPage"]}).json()
    assert len(three["data"]) == 5 and three["nextPage"] is None


def test_new_entries_do_not_disturb_a_paging_client(
    client: httpx.Client, emu: Emulator, auth: dict[str, str]
) -> None:
    send(client, emu, auth, 15, "old")
    query = audit_params(pageSize="10")
    one = get(client, emu.audit_url(), auth, query).json()
    send(client, emu, auth, 3, "new")
    two = get(client, emu.audit_url(), auth, query | {"cursor": one["nextPage"]}).json()
    ids = [e["payload"]["CustomerId"] for e in one["data"] + two["data"]]
    assert ids == [f"old-{i}" for i in range(15)] + ["new-0", "new-1", "new-2"]


def test_time_window(client: httpx.Client, emu: Emulator, auth: dict[str, str]) -> None:
    start = now_ms()
    send(client, emu, auth, 3, "early")
    time.sleep(0.05)
    middle = now_ms()
    time.sleep(0.05)
    send(client, emu, auth, 2, "late")
    end = now_ms() + 1

    def ids(from_ms: int, to_ms: int) -> list[str]:
        pages = all_pages(client, emu, auth, from_ms=from_ms, to_ms=to_ms, pageSize="500")
        return [e["payload"]["CustomerId"] for p in pages for e in p]

    assert ids(start, middle) == ["early-0", "early-1", "early-2"]
    assert ids(middle, end) == ["late-0", "late-1"]
    assert ids(start, end) == ids(start - 3_600_000, end + 3_600_000)
    assert len(ids(start, end)) == 5
    assert ids(end, end + 3_600_000) == [] and ids(start - 3_600_000, start) == []
    # The start is inclusive, the end exclusive.
    late_ms = int(emu.audit_entries()[-1]["errorTime"])
    assert ids(late_ms, late_ms) == []
    assert ids(late_ms, late_ms + 1) == ["late-0", "late-1"]
    assert "late-0" not in ids(start, late_ms)
    # Any zone works; it is the same instant.
    r = get(client, emu.audit_url(), auth, audit_params() | {
        "queryFromTime": "2000-01-01T01:00:00+01:00",
        "queryToTime": "2999-01-01T00:00:00Z",
        "pageSize": "500",
    })  # fmt: skip
    assert len(r.json()["data"]) == 5


def test_only_error_and_normal_have_entries(
    client: httpx.Client, emu: Emulator, auth: dict[str, str]
) -> None:
    send(client, emu, auth, 2, "x")
    for export_type, run_type in (("SAMPLE", "NORMAL"), ("ERROR", "DEBUG")):
        params = audit_params(exportType=export_type, runType=run_type)
        body = get(client, emu.audit_url(), auth, params).json()
        assert body == {"success": True, "data": [], "previousPage": None, "nextPage": None}


def test_operator_and_session_filters(
    client: httpx.Client, emu: Emulator, auth: dict[str, str]
) -> None:
    send(client, emu, auth, 2, "o")
    entry = get(client, emu.audit_url(), auth, audit_params()).json()["data"][0]
    mine = audit_params(operatorId=entry["operatorId"])
    assert len(get(client, emu.audit_url(), auth, mine).json()["data"]) == 2
    other = audit_params(operatorId="someone-else")
    assert get(client, emu.audit_url(), auth, other).json()["data"] == []
    export = client.get(emu.export_url(), headers=auth).json()
    session = audit_params(sessionId=export["sessionId"])
    assert len(get(client, emu.audit_url(), auth, session).json()["data"]) == 2
    stranger = audit_params(sessionId="R-999999")
    assert get(client, emu.audit_url(), auth, stranger).json()["data"] == []


def test_needs_a_token_and_json_content_type(client: httpx.Client, emu: Emulator) -> None:
    r = client.get(emu.audit_url(), params=audit_params(), headers=JSON)
    body = assert_refused(r, 401)
    assert "invalid_token" in r.headers["www-authenticate"] and body["errors"][0]["code"]
    assert_refused(client.get(emu.audit_url(), params=audit_params(), headers=bearer("x")), 401)
    token = bearer(get_token(client, emu))
    assert_refused(client.get(emu.audit_url(), params=audit_params(), headers=token), 415)
    r = client.post(emu.audit_url(), params=audit_params(), headers=token | JSON)
    assert_refused(r, 405)
    assert r.headers["allow"] == "GET"


def test_meter_ids(client: httpx.Client, emu: Emulator, auth: dict[str, str]) -> None:
    assert emu.audit_url().endswith(f"/meters/{DEMO_METER_NUMBER}/auditTrail/entries")
    params = audit_params()
    body = assert_refused(
        get(client, emu.base_url + "/meters/7/auditTrail/entries", auth, params), 404
    )
    assert body["errors"][0]["code"] == "70002103"
    for bad in ("abc", "-1", "0", "1.5", "9" * 30, "8a1b2c3d4e5f60718293a4b5c6d7e8f9"):
        url = f"{emu.base_url}/meters/{bad}/auditTrail/entries"
        assert_refused(get(client, url, auth, params))


@pytest.mark.parametrize("missing", ["exportType", "runType", "queryFromTime", "queryToTime"])
def test_required_parameters(
    client: httpx.Client, emu: Emulator, auth: dict[str, str], missing: str
) -> None:
    params = audit_params()
    params.pop(missing)
    body = assert_refused(get(client, emu.audit_url(), auth, params))
    assert missing in body["errors"][0]["message"] and body["errors"][0]["code"] == "70000023"
    blank = assert_refused(get(client, emu.audit_url(), auth, params | {missing: ""}))
    assert missing in blank["errors"][0]["message"]


@pytest.mark.parametrize(("name", "value"), [
    ("exportType", "error"),  # the enums are case-sensitive
    ("exportType", "ALL"),
    ("runType", "LIVE"),
    ("queryFromTime", "2026-11-26T09:30:00"),  # no zone
    ("queryFromTime", "2026-11-26"),
    ("queryFromTime", "yesterday"),
    ("queryToTime", "2026-11-26 T09:30:00Z"),
    ("queryToTime", "2026-13-01T00:00:00Z"),
    ("queryToTime", "2000-01-01T00:00:00Z"),  # before queryFromTime
    ("pageSize", "0"),
    ("pageSize", "501"),
    ("pageSize", "-1"),
    ("pageSize", "+30"),
    ("pageSize", " 30"),
    ("pageSize", "3e1"),
    ("pageSize", "abc"),
    ("pageSize", "9" * 5000),
    ("pageSize", "99999999999999999999999999"),
    ("pageSize", ""),
    ("cursor", ""),
    ("cursor", "not-a-cursor"),
    ("cursor", "W3sib3JkZXJ="),
    ("cursor", "%%%"),
    ("cursor", "A" * 10_000),
])  # fmt: skip
def test_bad_parameters(
    client: httpx.Client, emu: Emulator, auth: dict[str, str], name: str, value: str
) -> None:
    assert_refused(get(client, emu.audit_url(), auth, audit_params() | {name: value}))


def test_cursors_are_bound_to_their_query(
    client: httpx.Client, emu: Emulator, auth: dict[str, str]
) -> None:
    send(client, emu, auth, 5, "c")
    query = audit_params(pageSize="2")
    token = get(client, emu.audit_url(), auth, query).json()["nextPage"]
    other = query | {"queryToTime": iso(now_ms() + 7_200_000), "cursor": token}
    body = assert_refused(get(client, emu.audit_url(), auth, other))
    assert "different query" in body["errors"][0]["message"]
    # The page size may change between pages.
    assert get(client, emu.audit_url(), auth, query | {"cursor": token, "pageSize": "1"}).is_success
    # A forged cursor (the same shape, another position) is refused.
    raw = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    fields = json.loads(raw[0])
    raw[0] = json.dumps(fields | {"after": 0}, separators=(",", ":"))
    forged = base64.urlsafe_b64encode(json.dumps(raw).encode()).decode().rstrip("=")
    assert_refused(get(client, emu.audit_url(), auth, query | {"cursor": forged}))


def test_repeated_and_too_many_parameters(
    client: httpx.Client, emu: Emulator, auth: dict[str, str]
) -> None:
    twice = [*audit_params().items(), ("exportType", "ERROR")]
    assert_refused(get(client, emu.audit_url(), auth, twice))
    many = [*audit_params().items(), *((f"x{i}", "1") for i in range(100))]
    assert_refused(get(client, emu.audit_url(), auth, many))
    unknown = audit_params() | {"somethingElse": "1"}  # unknown ones are ignored
    assert get(client, emu.audit_url(), auth, unknown).status_code == 200


def test_raw_hostile_query_strings(emu: Emulator, client: httpx.Client) -> None:
    token = get_token(client, emu)
    path = f"/meters/{DEMO_METER_NUMBER}/auditTrail/entries"
    for query in ("%ff%fe", "exportType=%ZZ", "&&&&", "=" * 50, "pageSize=%00", "a" * 60_000):
        with socket.create_connection(("127.0.0.1", emu.port), timeout=5) as sock:
            sock.sendall(
                f"GET {path}?{query} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n"
                "Content-Type: application/json\r\nConnection: close\r\n\r\n".encode()
            )
            data = b""
            while chunk := sock.recv(65536):
                data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        assert head.split(b" ")[1] in (b"400", b"414"), head
        assert json.loads(body)["success"] is False


_text = st.text(max_size=40) | st.sampled_from(
    ["ERROR", "NORMAL", "30", "500", "2026-01-01T00:00:00Z"]
)


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(params=st.dictionaries(
    st.sampled_from(["exportType", "runType", "queryFromTime", "queryToTime", "pageSize",
                     "cursor", "operatorId", "sessionId", "other"]),
    _text,
))  # fmt: skip
def test_any_query_gets_json(client: httpx.Client, emu: Emulator, params: dict[str, str]) -> None:
    token = bearer(get_token(client, emu)) | JSON
    r = client.get(emu.audit_url(), params=params, headers=token)
    assert r.status_code in (200, 400), r.text
    body = r.json()
    if r.status_code == 200:
        assert body["success"] is True and isinstance(body["data"], list)
    else:
        assert set(body) == {"success", "errors"}
