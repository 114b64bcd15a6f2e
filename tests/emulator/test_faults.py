"""Fault plans: the spec syntax, the seeded sequence, and each fault over loopback."""

from __future__ import annotations

import email.utils
import time
from collections.abc import Iterator

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.emulator._helpers import GOOD, bearer, event, get_token, token_form
from zmed_gui.core.errors import OptionsError
from zmed_gui.emulator import FAULT_KINDS, Emulator, EmulatorConfig, Fault, FaultPlan


def plan_emulator(spec: str) -> Emulator:
    return Emulator(EmulatorConfig(faults=FaultPlan.parse(spec)))


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=10) as c:
        yield c


# -- the spec -------------------------------------------------------------------------------
def test_parse_full_example() -> None:
    plan = FaultPlan.parse(
        "seed=7,500=0.05,502=0.02,503=0.02,429=0.03,drop-before=0.02,drop-after=0.02,"
        "slow=0.05:1.5,token-expiry=0.01"
    )
    assert plan.seed == 7
    assert plan.rates["500"] == 0.05 and plan.rates["token-expiry"] == 0.01
    assert plan.fault("slow") == Fault("slow", 1.5)
    assert plan.fault("429") == Fault("429", 1.0)
    assert plan.fault("503") == Fault("503", None)


def test_parse_arguments_and_script() -> None:
    plan = FaultPlan.parse(
        " seed = 3 , 503=0.1:5, 429=0.1:date, call2=drop-after, call4=503:2, token-429=0.5"
    )
    assert plan.fault("503") == Fault("503", 5.0)
    assert plan.fault("429").http_date
    assert plan.script == {2: Fault("drop-after"), 4: Fault("503", 2.0)}
    assert plan.token_429 == 0.5
    assert FaultPlan.parse("") == FaultPlan()


@pytest.mark.parametrize(
    "spec",
    [
        "500",
        "500=",
        "500=1.5",
        "500=-0.1",
        "500=abc",
        "404=0.1",
        "seed=x",
        "call0=500",
        "callx=500",
        "call1=teapot",
        "500=0.1:3",
        "slow=0.1:date",
        "slow=0.1:-1",
        "500=0.6,502=0.6",
        "504=0.1:3",
        "call1=504:maybe",
        "403=0.1:kept",
    ],
)
def test_parse_errors_are_sentences(spec: str) -> None:
    with pytest.raises(OptionsError) as info:
        FaultPlan.parse(spec)
    message = str(info.value)
    assert message.endswith(".") and len(message) > 20


_kinds = st.sampled_from(FAULT_KINDS)
_faults = _kinds.flatmap(
    lambda k: st.builds(
        Fault,
        st.just(k),
        st.floats(0, 3600, allow_nan=False) if k in ("slow", "429", "503") else st.none(),
        st.booleans() if k in ("429", "503") else st.just(False),
        st.booleans() | st.none() if k == "504" else st.none(),
    )
)


@settings(max_examples=60, deadline=None)
@given(
    seed=st.none() | st.integers(0, 2**31),
    rates=st.dictionaries(_kinds, st.floats(0, 1 / len(FAULT_KINDS), allow_nan=False)),
    script=st.dictionaries(st.integers(1, 1000), _faults, max_size=4),
    token=st.floats(0, 1, allow_nan=False),
)
def test_spec_round_trip(
    seed: int | None, rates: dict[str, float], script: dict[int, Fault], token: float
) -> None:
    script = {
        n: Fault(f.kind, 1.0 if f.http_date else f.seconds, f.http_date) for n, f in script.items()
    }
    plan = FaultPlan(seed=seed, rates=rates, script=script, token_429=token)
    assert FaultPlan.parse(plan.spec()) == plan


def test_parse_newer_kinds() -> None:
    plan = FaultPlan.parse("403=0.1,504=0.1:lost,200-false=0.1,call2=504:kept,call3=504")
    assert plan.rates == {"403": 0.1, "504": 0.1, "200-false": 0.1}
    assert plan.fault("504") == Fault("504", kept=False)
    assert plan.script == {2: Fault("504", kept=True), 3: Fault("504")}
    assert FaultPlan.parse(plan.spec()) == plan


def test_same_seed_same_sequence() -> None:
    plan = FaultPlan.parse("seed=11,500=0.2,503=0.2,drop-after=0.1,slow=0.1")
    a, b = plan.dice(), plan.dice()
    seq_a = [a.next() for _ in range(300)]
    assert seq_a == [b.next() for _ in range(300)]
    kinds = {f.kind for f in seq_a if f}
    assert kinds == {"500", "503", "drop-after", "slow"}
    share = sum(f is not None for f in seq_a) / 300
    assert 0.45 < share < 0.75
    other = FaultPlan.parse("seed=12,500=0.2,503=0.2,drop-after=0.1,slow=0.1").dice()
    assert [other.next() for _ in range(300)] != seq_a


def test_script_does_not_shift_the_random_sequence() -> None:
    base = FaultPlan.parse("seed=5,500=0.3").dice()
    scripted = FaultPlan.parse("seed=5,500=0.3,call2=drop-before").dice()
    seq_base = [base.next() for _ in range(50)]
    seq_scripted = [scripted.next() for _ in range(50)]
    assert seq_scripted[1] == Fault("drop-before")
    assert seq_scripted[:1] + seq_scripted[2:] == seq_base[:1] + seq_base[2:]


# -- each fault over HTTP -------------------------------------------------------------------
@pytest.mark.parametrize(
    ("spec", "status", "retry_after"),
    [
        ("call1=500", 500, None),
        ("call1=502", 502, None),
        ("call1=503", 503, None),
        ("call1=503:7", 503, "7"),
        ("call1=429", 429, "1"),
        ("call1=429:3", 429, "3"),
    ],
)
def test_status_faults(
    client: httpx.Client, spec: str, status: int, retry_after: str | None
) -> None:
    with plan_emulator(spec) as emu:
        auth = bearer(get_token(client, emu))
        r = client.post(emu.upload_url(), json=GOOD, headers=auth)
        assert r.status_code == status
        assert r.json()["success"] is False and "injected" in r.json()["message"]
        assert r.headers.get("retry-after") == retry_after
        assert r.headers["zuora-request-id"]
        assert emu.accepted_events() == []
        # The next call is clean and recorded.
        assert client.post(emu.upload_url(), json=GOOD, headers=auth).status_code == 200
        stats = emu.stats()
        assert stats["faults_injected"] == {str(status): 1}
        assert stats["by_status"] == {str(status): 1, "200": 1}
        assert stats["accepted_events"] == 1


def test_retry_after_http_date(client: httpx.Client) -> None:
    with plan_emulator("call1=429:date,call2=503:date") as emu:
        auth = bearer(get_token(client, emu))
        for expected in (429, 503):
            r = client.post(emu.upload_url(), json=GOOD, headers=auth)
            assert r.status_code == expected
            when = email.utils.parsedate_to_datetime(r.headers["retry-after"])
            assert 0 < when.timestamp() - time.time() <= 3


def test_drop_before(client: httpx.Client) -> None:
    with plan_emulator("call1=drop-before") as emu:
        auth = bearer(get_token(client, emu))
        with pytest.raises(httpx.RemoteProtocolError):
            client.post(emu.upload_url(), json=[GOOD, GOOD], headers=auth)
        assert emu.accepted_events() == []
        assert client.post(emu.upload_url(), json=GOOD, headers=auth).status_code == 200
        stats = emu.stats()
        assert stats["faults_injected"] == {"drop-before": 1}
        assert stats["by_status"] == {"dropped": 1, "200": 1} and stats["dropped_calls"] == 1


def test_drop_after_records_then_hangs_up(client: httpx.Client) -> None:
    with plan_emulator("call1=drop-after") as emu:
        auth = bearer(get_token(client, emu))
        with pytest.raises(httpx.RemoteProtocolError):
            client.post(emu.upload_url(), json=[GOOD, event(CustomerId="B")], headers=auth)
        # The client cannot know, but the events arrived.
        assert [e["CustomerId"] for e in emu.accepted_events()] == ["A-001", "B"]
        assert emu.stats()["faults_injected"] == {"drop-after": 1}


def test_drop_after_on_a_bad_call_records_nothing(client: httpx.Client) -> None:
    with plan_emulator("call1=drop-after") as emu:
        auth = bearer(get_token(client, emu))
        with pytest.raises(httpx.RemoteProtocolError):
            client.post(emu.upload_url(), json=[event(Quantity="x")], headers=auth)
        assert emu.accepted_events() == []


def test_slow_answers_late_but_processes(
    client: httpx.Client, capfd: pytest.CaptureFixture[str]
) -> None:
    with plan_emulator("call1=slow:0.4,call2=slow:5") as emu:
        auth = bearer(get_token(client, emu))
        t0 = time.monotonic()
        r = client.post(emu.upload_url(), json=GOOD, headers=auth)
        assert r.status_code == 200 and time.monotonic() - t0 >= 0.4
        # A client that gives up still had its events recorded.
        with pytest.raises(httpx.ReadTimeout):
            client.post(emu.upload_url(), json=GOOD, headers=auth, timeout=0.3)
        assert len(emu.accepted_events()) == 2
        assert emu.stats()["faults_injected"] == {"slow": 2}
    # stop() woke the 5 s sleep; the answer to a gone client fails quietly.
    assert "Traceback" not in capfd.readouterr().err


def test_token_expiry_fault(client: httpx.Client) -> None:
    with plan_emulator("call1=token-expiry") as emu:
        token = get_token(client, emu)
        r = client.post(emu.upload_url(), json=GOOD, headers=bearer(token))
        assert r.status_code == 401 and "expired" in r.json()["message"]
        # The token is now dead for good; a fresh one works.
        r = client.post(emu.upload_url(), json=GOOD, headers=bearer(token))
        assert r.status_code == 401
        assert (
            client.post(
                emu.upload_url(), json=GOOD, headers=bearer(get_token(client, emu))
            ).status_code
            == 200
        )
        assert emu.stats()["faults_injected"] == {"token-expiry": 1}


def test_faults_skip_token_endpoint_and_probes(client: httpx.Client) -> None:
    with plan_emulator("seed=1,500=1.0") as emu:
        token = get_token(client, emu)  # never faulted
        assert client.get(emu.upload_url(), headers=bearer(token)).status_code == 405
        assert client.post(emu.upload_url(), json=GOOD, headers=bearer(token)).status_code == 500


def test_token_429(client: httpx.Client) -> None:
    with plan_emulator("token-429=1.0") as emu:
        r = client.post(emu.token_url, data=token_form())
        assert r.status_code == 429 and r.headers["retry-after"] == "1"
        assert emu.stats()["faults_injected"] == {"token-429": 1}


def test_seeded_run_is_repeatable(client: httpx.Client) -> None:
    spec = (
        "seed=7,500=0.1,502=0.05,503=0.05,429=0.05,drop-before=0.05,drop-after=0.05,"
        "token-expiry=0.05"
    )

    def run(emu: Emulator) -> list[str]:
        outcomes = []
        token = get_token(client, emu)
        for i in range(40):
            try:
                r = client.post(
                    emu.upload_url(), json=event(CustomerId=str(i)), headers=bearer(token)
                )
                outcomes.append(str(r.status_code))
                if r.status_code == 401:
                    token = get_token(client, emu)
            except httpx.RemoteProtocolError:
                outcomes.append("dropped")
        return outcomes

    with plan_emulator(spec) as emu:
        first = run(emu)
        stats = emu.stats()
        assert stats["fault_seed"] == 7
        assert sum(stats["faults_injected"].values()) == sum(o != "200" for o in first)
        emu.reset()  # restarts the sequence
        assert run(emu) == first
    with plan_emulator(spec) as emu:
        assert run(emu) == first
    assert len(set(first)) >= 4


def test_random_seed_is_reported() -> None:
    with plan_emulator("500=0.5") as emu:
        assert isinstance(emu.stats()["fault_seed"], int)
