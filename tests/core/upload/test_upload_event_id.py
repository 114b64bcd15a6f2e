"""'The meter deduplicates': uncertain events that carry an event ID are resent by
themselves; without an event-ID field the option is refused."""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.core._upload_helpers import demo_client, event
from zmed_gui.core.connections import CUSTOM, Connection, make_target
from zmed_gui.core.errors import OptionsError
from zmed_gui.core.journal import Journal
from zmed_gui.core.mapping import row_id
from zmed_gui.core.schema import FieldType, SchemaField
from zmed_gui.core.upload import (
    SourceInfo,
    UploadItem,
    UploadOptions,
    UploadPlan,
    UploadRequest,
    UploadResult,
    UploadSession,
)
from zmed_gui.emulator import (
    DEMO_CLIENT_ID,
    DEMO_METER_ID,
    Emulator,
    EmulatorConfig,
    FaultPlan,
    demo_schema,
)

SOURCE = SourceInfo("usage.xlsx", "March", "fp-event-id")
FAST = {"backoff_base": 0.01, "backoff_cap": 0.05}


def items(n: int, *, with_id: bool = True) -> list[UploadItem]:
    out = []
    for i in range(n):
        ev = event(i)
        if with_id:
            ev["EventId"] = row_id("March", i + 2, ev)
        out.append(UploadItem(i, i + 2, ev))
    return out


class IdRig:
    """The demo meter with an optional EventId field, a journal and one client."""

    def __init__(self, emu: Emulator, journal: Journal) -> None:
        schema = demo_schema()
        emu.add_meter(
            DEMO_METER_ID,
            dataclasses.replace(
                schema,
                fields=[
                    *schema.fields,
                    SchemaField("EventId", FieldType.STRING, False, event_id=True),
                ],
            ),
        )
        self.emu = emu
        self.journal = journal
        self.client = demo_client(emu)
        self.sessions: dict[int, UploadSession] = {}

    def plan(
        self,
        its: list[UploadItem],
        resume: str | None = None,
        event_id_fields: tuple[str, ...] | None = ("EventId",),
        **opts: Any,
    ) -> UploadPlan:
        for old in self.sessions.values():
            old.close()
        conn = Connection("Emu", CUSTOM, DEMO_CLIENT_ID, custom_base_url=self.emu.base_url)
        request = UploadRequest(
            target=make_target(self.emu.base_url, DEMO_METER_ID),
            connection=conn,
            options=UploadOptions(**(FAST | opts)),
            items=its,
            source=SOURCE,
            resume_id=resume,
            event_id_fields=event_id_fields,
        )
        session = UploadSession(request, journal=self.journal, client=self.client)
        plan = session.prepare()
        self.sessions[id(plan)] = session
        return plan

    def send(self, its: list[UploadItem], **kw: Any) -> UploadResult:
        plan = self.plan(its, **kw)
        return self.sessions[id(plan)].send()

    def received(self) -> Counter[str]:
        return Counter(e["EventId"] for e in self.emu.accepted_events(DEMO_METER_ID))


@pytest.fixture
def make_rig(tmp_path: Path) -> Iterator[Any]:
    opened: list[tuple[Emulator, IdRig]] = []
    journal = Journal(tmp_path / "journal.db")

    def make(config: EmulatorConfig | None = None) -> IdRig:
        emu = Emulator(config or EmulatorConfig()).start()
        r = IdRig(emu, journal)
        opened.append((emu, r))
        return r

    yield make
    for emu, r in opened:
        for s in r.sessions.values():
            s.close()
        r.client.close()
        emu.stop()
    journal.close()


def test_uncertain_events_with_an_id_are_resent_when_the_meter_deduplicates(
    make_rig: Any,
) -> None:
    r = make_rig(EmulatorConfig(faults=FaultPlan.parse("call1=drop-after")))
    its = items(30)
    first = r.send(its, batch_size=10, concurrency=1)
    assert (first.accepted, first.uncertain) == (20, 10)
    assert "Run the same upload again" not in first.message  # the option was not set
    # Without the option: held back, as always.
    held = r.plan(its, batch_size=10)
    assert len(held.uncertain) == 10 and held.to_send == []
    # With it: sent again without asking, and the plan says why.
    plan = r.plan(its, batch_size=10, meter_deduplicates=True)
    assert plan.uncertain == [] and len(plan.resent_by_id) == 10
    assert plan.to_send == plan.resent_by_id
    assert "the meter drops repeats of the same event ID (EventId)" in plan.summary()
    assert "rows 2, 3, 4, 5, 6 and 5 more" in plan.summary()
    result = r.sessions[id(plan)].send()
    assert (result.accepted, result.skipped_duplicates, result.held_uncertain) == (10, 20, 0)
    assert result.resent_by_id == 10 and "the meter drops repeats" in result.message
    # The emulator does not deduplicate: it got the first batch twice, with the same IDs
    # (a deduplicating meter drops the repeats).
    assert max(r.received().values()) == 2 and len(r.received()) == 30
    final = r.plan(its, meter_deduplicates=True)
    assert final.to_send == [] and final.uncertain == [] and final.resent_by_id == []


def test_a_resumed_upload_resends_its_own_uncertain_events(make_rig: Any) -> None:
    r = make_rig(EmulatorConfig(faults=FaultPlan.parse("call2=drop-after")))
    its = items(30)
    first = r.send(its, batch_size=10, concurrency=1, meter_deduplicates=True)
    assert first.uncertain == 10
    assert "Run the same upload again to resend the uncertain events" in first.message
    plan = r.plan(its, resume=first.upload_id, batch_size=10, meter_deduplicates=True)
    assert plan.resuming and len(plan.resent_by_id) == 10 and plan.uncertain == []
    result = r.sessions[id(plan)].send()
    assert result.accepted == 30 and result.uncertain == 0 and result.complete  # the whole upload


def test_the_option_is_refused_without_an_event_id_field(make_rig: Any) -> None:
    r = make_rig()
    with pytest.raises(OptionsError, match="no field of the events carries an event ID"):
        r.plan(items(3, with_id=False), event_id_fields=None, meter_deduplicates=True)
    # Without the option nothing changes.
    assert len(r.plan(items(3, with_id=False), event_id_fields=None).to_send) == 3


def test_an_uncertain_event_whose_id_is_empty_is_held_back(make_rig: Any) -> None:
    r = make_rig(EmulatorConfig(faults=FaultPlan.parse("call1=drop-after")))
    its = items(4)
    its[1] = UploadItem(1, 3, {k: v for k, v in its[1].event.items() if k != "EventId"})
    assert r.send(its, batch_size=10).uncertain == 4
    plan = r.plan(its, meter_deduplicates=True)
    assert [it.row for it in plan.uncertain] == [1]
    assert [it.row for it in plan.resent_by_id] == [0, 2, 3]
