"""The harsher modes of the ingestion endpoint, one by one, over loopback."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest

from tests.emulator._helpers import GOOD, bearer, event, get_token
from zmed_gui.emulator import DEMO_METER_ID, Emulator, EmulatorConfig, FaultPlan


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=10) as c:
        yield c


def serve(**options: object) -> Emulator:
    faults = options.pop("faults", None)
    config = EmulatorConfig(**options)  # type: ignore[arg-type]
    if isinstance(faults, str):
        config.faults = FaultPlan.parse(faults)
    return Emulator(config)


def no_index_anywhere(body: object) -> None:
    text = repr(body)
    assert "index" not in text and not re.search(r"event \d", text), body


# -- 1. paths --------------------------------------------------------------------------------
@pytest.mark.parametrize(("paths", "answers", "unknown"), [
    ("bulk", "bulk", "streaming"),
    ("streaming", "streaming", "bulk"),
])  # fmt: skip
def test_only_one_path_answers(
    client: httpx.Client, paths: str, answers: str, unknown: str
) -> None:
    with serve(ingestion_paths=paths) as emu:
        auth = bearer(get_token(client, emu))
        ok = client.post(emu.upload_url(style=answers), json=GOOD, headers=auth)
        assert ok.status_code == 200
        for headers in (auth, {}):  # no token asked: an unknown route is not a meter
            r = client.post(emu.upload_url(style=unknown), json=GOOD, headers=headers)
            assert r.status_code == 404
            assert DEMO_METER_ID not in r.text and "meter" not in r.text.lower()
            other = client.post(emu.base_url + "/no/such/route", json=GOOD, headers=headers)
            assert other.status_code == 404
            assert set(r.json()) == set(other.json()) == {"success", "processId", "reasons"}
            assert r.json()["reasons"] == other.json()["reasons"]
        probe = client.get(emu.upload_url(style=unknown), headers=auth)
        assert probe.status_code == 404 and "allow" not in probe.headers
        stats = emu.stats()
        assert stats["calls"] == 1 and stats["unrouted"] == 5
        assert emu.accepted_events() == [GOOD]


def test_both_paths_answer_by_default(client: httpx.Client) -> None:
    with Emulator() as emu:
        auth = bearer(get_token(client, emu))
        for style in ("bulk", "streaming"):
            assert client.post(emu.upload_url(style=style), json=GOOD, headers=auth).is_success


# -- 2. ratelimit-* only ---------------------------------------------------------------------
def test_ratelimit_headers_only(client: httpx.Client) -> None:
    with serve(calls_per_minute=2, rate_limit_headers="ratelimit") as emu:
        auth = bearer(get_token(client, emu))
        first = client.post(emu.upload_url(), json=GOOD, headers=auth)
        assert first.status_code == 200  # a client can pace from this before any 429
        assert first.headers["ratelimit-limit"] == "2, 2;w=60"
        assert first.headers["ratelimit-remaining"] == "1"
        assert 1 <= int(first.headers["ratelimit-reset"]) <= 60
        assert client.post(emu.upload_url(), json=GOOD, headers=auth).status_code == 200
        r = client.post(emu.upload_url(), json=GOOD, headers=auth)
        assert r.status_code == 429 and "retry-after" not in r.headers
        assert r.headers["ratelimit-remaining"] == "0"
        assert 1 <= int(r.headers["ratelimit-reset"]) <= 60
        assert r.json()["success"] is False
        assert len(emu.accepted_events()) == 2


def test_hourly_window_binds_like_zuoras_sample(client: httpx.Client) -> None:
    with serve(calls_per_minute=100, calls_per_hour=3, rate_limit_headers="ratelimit") as emu:
        auth = bearer(get_token(client, emu))
        answers = [client.post(emu.upload_url(), json=GOOD, headers=auth) for _ in range(4)]
        assert [a.status_code for a in answers] == [200, 200, 200, 429]
        # The first number is the binding window's limit, then every policy.
        assert answers[0].headers["ratelimit-limit"] == "3, 100;w=60, 3;w=3600"
        assert answers[2].headers["ratelimit-remaining"] == "0"
        last = answers[3]
        assert "retry-after" not in last.headers
        assert 60 < int(last.headers["ratelimit-reset"]) <= 3600
        assert "3 calls in an hour" in last.json()["message"]


def test_injected_429_in_ratelimit_style(client: httpx.Client) -> None:
    with serve(rate_limit_headers="ratelimit", faults="call1=429:600") as emu:
        auth = bearer(get_token(client, emu))
        r = client.post(emu.upload_url(), json=GOOD, headers=auth)
        assert r.status_code == 429 and "retry-after" not in r.headers
        assert r.headers["ratelimit-limit"] == "2250000, 50000;w=60, 2250000;w=3600"
        assert r.headers["ratelimit-remaining"] == "0"
        assert r.headers["ratelimit-reset"] == "600"
        ok = client.post(emu.upload_url(), json=GOOD, headers=auth)
        assert ok.status_code == 200 and "ratelimit-limit" not in ok.headers


def test_concurrency_429_in_ratelimit_style_has_no_retry_after(client: httpx.Client) -> None:
    with serve(max_concurrent_calls=0, rate_limit_headers="ratelimit") as emu:
        auth = bearer(get_token(client, emu))
        r = client.post(emu.upload_url(), json=GOOD, headers=auth)
        assert r.status_code == 429 and "retry-after" not in r.headers


# -- 3. 400 without an index -----------------------------------------------------------------
def test_reasons_shape_names_no_event(client: httpx.Client) -> None:
    with serve(error_shape="reasons") as emu:
        auth = bearer(get_token(client, emu))
        batch = [event(), event(Quantity="12"), event(CustomerId=""), event(Quantity="x")]
        r = client.post(emu.upload_url(), json=batch, headers=auth)
        assert r.status_code == 400
        body = r.json()
        assert set(body) == {"success", "processId", "reasons"} and body["success"] is False
        assert re.fullmatch(r"[0-9A-F]{16}", body["processId"])
        assert body["reasons"] == [
            {"code": 70000020, "message": "Quantity must be a number"},
            {"code": 70000022, "message": "CustomerId is required and must not be empty"},
        ]
        no_index_anywhere(body)
        assert emu.accepted_events() == []


def test_errors_shape_names_no_event(client: httpx.Client) -> None:
    with serve(error_shape="errors") as emu:
        auth = bearer(get_token(client, emu))
        r = client.post(emu.upload_url(), json=[event(), event(Extra=1)], headers=auth)
        assert r.status_code == 400
        body = r.json()
        assert body == {
            "success": False,
            "errors": [{"code": "70000021", "message": "Extra is not a field of this meter"}],
        }
        bad_json = client.post(
            emu.upload_url(), content=b"{nope", headers=auth | {"Content-Type": "application/json"}
        )
        assert bad_json.status_code == 400
        assert [e["code"] for e in bad_json.json()["errors"]] == ["70000090"]
        unauth = client.post(emu.upload_url(), json=GOOD)
        assert unauth.status_code == 401 and set(unauth.json()) == {"success", "errors"}


@pytest.mark.parametrize("shape", ["reasons", "errors"])
def test_refuse_everything(client: httpx.Client, shape: str) -> None:
    with serve(error_shape=shape, require_field="ContractNumber") as emu:
        auth = bearer(get_token(client, emu))
        for batch in ([GOOD], [event(CustomerId=f"C{i}") for i in range(50)]):
            r = client.post(emu.upload_url(), json=batch, headers=auth)
            assert r.status_code == 400
            problems = r.json()["reasons" if shape == "reasons" else "errors"]
            assert [p["message"] for p in problems] == [
                "ContractNumber is required and must not be empty"
            ]
            no_index_anywhere(r.json())
        assert emu.accepted_events() == []
        # A batch that has the field passes: the meter is otherwise the demo one.
        good = event(ContractNumber="K-1")
        assert client.post(emu.upload_url(), json=good, headers=auth).status_code == 200


def test_payload_limits_in_zuora_shape(client: httpx.Client) -> None:
    with serve(error_shape="reasons", max_events_per_call=2) as emu:
        auth = bearer(get_token(client, emu))
        r = client.post(emu.upload_url(), json=[GOOD] * 3, headers=auth)
        assert r.status_code == 413
        assert r.json()["reasons"][0]["code"] == 70000070


# -- 4. 200 with success false ---------------------------------------------------------------
def test_200_success_false_keeps_nothing(client: httpx.Client) -> None:
    with serve(faults="call1=200-false") as emu:
        auth = bearer(get_token(client, emu))
        r = client.post(emu.upload_url(), json=[GOOD, GOOD], headers=auth)
        assert r.status_code == 200
        assert r.json()["success"] is False and r.json()["message"]
        assert emu.accepted_events() == []
        assert client.post(emu.upload_url(), json=GOOD, headers=auth).json()["success"] is True
        assert emu.stats()["faults_injected"] == {"200-false": 1}
        assert len(emu.accepted_events()) == 1


# -- 5. 403 and 504 --------------------------------------------------------------------------
def test_403_fault_after_the_token_check(client: httpx.Client) -> None:
    with serve(faults="call1=403,call2=403") as emu:
        assert client.post(emu.upload_url(), json=GOOD).status_code == 401  # call 1
        auth = bearer(get_token(client, emu))
        r = client.post(emu.upload_url(), json=GOOD, headers=auth)  # call 2
        assert r.status_code == 403
        body = r.json()
        assert body["success"] is False and body["reasons"][0]["code"] == 70002006
        assert "permission" in body["reasons"][0]["message"]
        assert client.post(emu.upload_url(), json=GOOD, headers=auth).status_code == 200
        assert len(emu.accepted_events()) == 1


@pytest.mark.parametrize(("forbidden", "code"), [
    ("permission", 70002006),
    ("not-enabled", 70002004),
])  # fmt: skip
def test_tenant_forbidden(client: httpx.Client, forbidden: str, code: int) -> None:
    with serve(forbidden=forbidden) as emu:
        auth = bearer(get_token(client, emu))
        r = client.post(emu.upload_url(), json=GOOD, headers=auth)
        assert r.status_code == 403 and r.json()["reasons"][0]["code"] == code
        assert client.get(emu.upload_url(), headers=auth).status_code == 403  # the probe too
        assert client.post(emu.upload_url(), json=GOOD).status_code == 401
        assert emu.accepted_events() == []


@pytest.mark.parametrize(("options", "spec", "kept"), [
    ({}, "call1=504", True),  # the harsher default: the batch was taken
    ({}, "call1=504:lost", False),
    ({"gateway_timeout_keeps_events": False}, "call1=504", False),
    ({"gateway_timeout_keeps_events": False}, "call1=504:kept", True),
])  # fmt: skip
def test_gateway_timeout(
    client: httpx.Client, options: dict[str, object], spec: str, kept: bool
) -> None:
    with serve(faults=spec, **options) as emu:
        auth = bearer(get_token(client, emu))
        r = client.post(emu.upload_url(), json=[GOOD, event(CustomerId="B")], headers=auth)
        assert r.status_code == 504
        assert r.headers["content-type"].startswith("text/html")
        assert b"504 Gateway Time-out" in r.content
        assert len(emu.accepted_events()) == (2 if kept else 0)
        assert emu.stats()["faults_injected"] == {"504": 1}
