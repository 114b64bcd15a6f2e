"""Whatever a client sends, the emulator answers in JSON and records all or nothing."""

from __future__ import annotations

import json
from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.emulator._helpers import GOOD, bearer, get_token
from zmed_gui.emulator import Emulator, EmulatorConfig, demo_schema
from zmed_gui.emulator.validation import validate_events

_scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(10**20), 10**20)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30)
    | st.sampled_from(["2026-11-26T09:30:00Z", "2026-11-26", "11/26/2026", "", " ", "x"])
)
_field_names = st.sampled_from([*GOOD, "Region", "Other"])
_events = st.dictionaries(_field_names, _scalars, max_size=6) | st.just(GOOD)
_bodies = st.one_of(
    _events,
    st.lists(_events | _scalars, max_size=12),
    _scalars,
)


def test_random_bodies_get_a_json_answer_and_all_or_nothing() -> None:
    config = EmulatorConfig(max_events_per_call=10)
    with Emulator(config) as emu, httpx.Client(timeout=10) as client:
        auth = bearer(get_token(client, emu)) | {"Content-Type": "application/json"}
        schema = demo_schema()

        @settings(
            max_examples=120,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        )
        @given(body=_bodies)
        def check(body: Any) -> None:
            before = emu.stats()["accepted_events"]
            r = client.post(emu.upload_url(), content=json.dumps(body), headers=auth)
            answer = r.json()
            assert isinstance(answer["success"], bool) and answer["message"]
            after = emu.stats()["accepted_events"]
            events = body if isinstance(body, list) else [body]
            if r.status_code == 200:
                assert isinstance(body, dict | list) and events
                assert validate_events(events, schema, 100)[1] == 0
                assert after - before == len(events)
            else:
                assert r.status_code in (400, 413)
                assert after == before
                if r.status_code == 413:
                    assert len(events) > 10

        check()


def test_after_receipt_every_received_event_is_kept_or_audited() -> None:
    config = EmulatorConfig(max_events_per_call=10, schema_check="after-receipt")
    with Emulator(config) as emu, httpx.Client(timeout=10) as client:
        auth = bearer(get_token(client, emu)) | {"Content-Type": "application/json"}
        schema = demo_schema()

        @settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
        @given(body=_bodies)
        def check(body: Any) -> None:
            before = emu.stats()
            r = client.post(emu.upload_url(), content=json.dumps(body), headers=auth)
            after = emu.stats()
            kept = after["accepted_events"] - before["accepted_events"]
            rejected = after["rejected_after_receipt"] - before["rejected_after_receipt"]
            events = body if isinstance(body, list) else [body]
            if r.status_code == 200:
                assert r.json()["success"] is True
                bad = {x["index"] for x in validate_events(events, schema, 10_000)[0]}
                assert (kept, rejected) == (len(events) - len(bad), len(bad))
            else:
                assert r.status_code in (400, 413) and kept == rejected == 0

        check()
