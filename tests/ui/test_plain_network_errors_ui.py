"""The app says every httpx error in words: the upload's error box, its details, the step."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import openpyxl
import pytest
from PySide6.QtWidgets import QLabel, QMessageBox

from tests.core.zuora.test_plain_network_errors import HTTPX_ERRORS, assert_plain
from tests.factories import append_xlsx
from tests.ui._helpers import demo_app_state, load_and_map, make_upload_step
from zmed_gui.core.validate import validate
from zmed_gui.emulator import Emulator
from zmed_gui.ui.app import immortalise_singletons
from zmed_gui.ui.upload_step import UploadStep

immortalise_singletons()
pytestmark = pytest.mark.usefixtures("wait_for_pool")


def _fail(monkeypatch: pytest.MonkeyPatch, cls: type[httpx.RequestError], path: str) -> None:
    real = httpx.HTTPTransport.handle_request

    def handle(self: httpx.HTTPTransport, request: httpx.Request) -> httpx.Response:
        if path not in request.url.path:
            return real(self, request)
        trace = request.extensions.get("trace")
        if trace is not None:
            trace("http11.send_request_body.complete", {})
        raise cls("[Errno 104] the peer went away", request=request)

    monkeypatch.setattr(httpx.HTTPTransport, "handle_request", handle)


def _labels(step: UploadStep) -> list[str]:
    return [w.text() for w in step.findChildren(QLabel) if w.isVisibleTo(step)]


def _said(step: UploadStep) -> str:
    texts = _labels(step)
    for box in step.findChildren(QMessageBox):
        if box.isVisible():
            texts += [box.text(), box.informativeText(), box.detailedText()]
            box.close()
    return "\n".join(t for t in texts if t)


@pytest.mark.parametrize("where", ["/usage/bulk/", "/oauth/token"], ids=["sent", "sign-in"])
@pytest.mark.parametrize("cls", HTTPX_ERRORS, ids=lambda c: c.__name__)
def test_the_upload_step_says_each_error_in_words(
    cls: type[httpx.RequestError],
    where: str,
    qtbot: Any,
    tmp_path: Path,
    emulator: Emulator,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    state = demo_app_state(emulator)
    path = append_xlsx(
        tmp_path / "usage.xlsx",
        [["CustomerId", "UsageIdentifier", "UsageDate", "Quantity"],
         ["C1", "api-calls", "2026-11-01T10:00:00Z", 1]],
        sheet="Usage",
    )  # fmt: skip
    table = load_and_map(state, path)
    state.set_validation(validate(table, state.schema, state.mapping, state.options))
    step = make_upload_step(qtbot, state)
    _fail(monkeypatch, cls, where)
    ended: list[object] = []
    step.upload_finished.connect(ended.append)
    step.upload_stopped.connect(ended.append)
    step.start_button.click()
    # a batch sent without an answer ends the upload (uncertain); a failed sign-in is
    # retried, and the step says why while it waits
    qtbot.waitUntil(
        lambda: bool(ended) or any("Waiting: " in t for t in _labels(step)), timeout=20_000
    )
    qtbot.wait(50)  # the box of a failed upload opens just after the signal
    assert_plain(_said(step))
    if not ended:
        step.cancel()
        qtbot.waitUntil(lambda: bool(ended) or not step.busy, timeout=20_000)
        return
    # the result report the app writes says, row by row, what happened
    with qtbot.waitSignal(step.report_written, timeout=10_000) as written:
        step.write_result_report(tmp_path / "result.xlsx")
    book = openpyxl.load_workbook(Path(written.args[0]), read_only=True)
    cells = [str(v) for ws in book.worksheets for r in ws.iter_rows(values_only=True) for v in r]
    book.close()
    assert_plain("\n".join(c for c in cells if c != "None"))


def test_no_time_left_is_promised_while_the_server_refuses(
    qtbot: Any, tmp_path: Path, emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The walk saw "2 min left" counting on while every connection was refused."""
    state = demo_app_state(emulator)
    rows = [["C1", "api-calls", f"2026-11-01T10:00:{i:02d}Z", 1] for i in range(8)]
    path = append_xlsx(
        tmp_path / "usage.xlsx",
        [["CustomerId", "UsageIdentifier", "UsageDate", "Quantity"], *rows],
        sheet="Usage",
    )
    table = load_and_map(state, path)
    state.set_validation(validate(table, state.schema, state.mapping, state.options))
    step = make_upload_step(qtbot, state)
    step.batch_spin.setValue(2)
    step.concurrency_spin.setValue(1)
    real = httpx.HTTPTransport.handle_request
    posts: list[int] = []

    def handle(self: httpx.HTTPTransport, request: httpx.Request) -> httpx.Response:
        if "/usage/bulk/" not in request.url.path:
            return real(self, request)
        posts.append(1)
        if len(posts) <= 2:
            return real(self, request)  # two batches go through: a speed is known
        raise httpx.ConnectError("[Errno 111] Connection refused", request=request)

    monkeypatch.setattr(httpx.HTTPTransport, "handle_request", handle)
    step.start_button.click()
    progress = step.progress_box.progress_label
    qtbot.waitUntil(lambda: "Waiting: " in progress.text(), timeout=20_000)
    qtbot.wait(300)  # a few more progress lines while it waits
    text = progress.text()
    assert "4 of 8 events sent" in text, text
    assert "time left: unknown until the local emulator answers" in text, text
    assert " s left" not in text and "min left" not in text, text
    step.cancel()
    qtbot.waitUntil(lambda: not step.busy, timeout=20_000)
