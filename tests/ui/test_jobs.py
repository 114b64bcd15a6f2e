"""ui/jobs.py: the one way the window runs work off the GUI thread."""

from __future__ import annotations

import ast
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from zmed_gui.core.errors import OptionsError
from zmed_gui.ui import jobs
from zmed_gui.ui.jobs import BUG_SENTENCE, Latest, Queue, running_jobs, wait_for_jobs

UI = Path(__file__).resolve().parents[2] / "zmed_gui" / "ui"


@pytest.fixture(autouse=True)
def _all_jobs_end() -> Iterator[None]:
    yield
    assert wait_for_jobs(10_000)


def test_result_arrives_on_the_gui_thread(qtbot: Any) -> None:
    seen: dict[str, Any] = {}

    def work(progress: Any, cancel: Any) -> int:
        seen["worker"] = threading.get_ident()
        return 42

    def finished(result: int) -> None:
        seen["slot"] = threading.get_ident()
        seen["result"] = result

    job = jobs.run(work, finished=finished)
    assert job.running and running_jobs() >= 1
    qtbot.waitUntil(lambda: "result" in seen, timeout=5_000)
    assert seen["result"] == 42
    assert seen["worker"] != threading.get_ident()
    assert seen["slot"] == threading.get_ident()
    assert not job.running
    # the module keeps the job until its end has been delivered, then lets it go
    qtbot.waitUntil(lambda: running_jobs() == 0, timeout=5_000)


def test_a_user_error_is_its_sentence_and_a_bug_is_never_a_traceback(qtbot: Any) -> None:
    got: list[tuple[str, str]] = []
    errors: list[object] = []

    def user_error(progress: Any, cancel: Any) -> None:
        raise OptionsError("Choose another folder.")

    def bug(progress: Any, cancel: Any) -> None:
        raise IndexError("list index out of range")

    jobs.run(user_error, failed=lambda m, d: got.append((m, d)), failed_error=errors.append)
    qtbot.waitUntil(lambda: len(got) == 1, timeout=5_000)
    jobs.run(bug, failed=lambda m, d: got.append((m, d)), failed_error=errors.append)
    qtbot.waitUntil(lambda: len(got) == 2, timeout=5_000)
    assert got[0][0] == "Choose another folder."
    assert isinstance(errors[0], OptionsError) and len(errors) == 1  # a bug is no ZmedError
    message, details = got[1]
    assert message == BUG_SENTENCE
    assert "Traceback" not in message and "IndexError" not in message
    assert "IndexError" in details  # for the log viewer


def test_cancel_reaches_the_function_and_ends_in_cancelled(qtbot: Any) -> None:
    started = threading.Event()
    ended: list[str] = []

    def work(progress: Any, cancel: Any) -> None:
        started.set()
        while True:
            cancel.raise_if_cancelled()
            time.sleep(0.005)

    job = jobs.run(work, cancelled=lambda: ended.append("cancelled"))
    assert started.wait(5)
    job.cancel()
    qtbot.waitUntil(lambda: ended == ["cancelled"], timeout=5_000)


def test_progress_is_throttled_but_the_last_report_arrives(qtbot: Any) -> None:
    reports: list[tuple[int, int]] = []
    done: list[bool] = []

    def work(progress: Any, cancel: Any) -> None:
        for i in range(1, 100_001):
            progress(i, 100_000, "rows")

    jobs.run(
        work,
        progressed=lambda d, t, _m: reports.append((d, t)),
        finished=lambda _r: done.append(True),
    )
    qtbot.waitUntil(lambda: bool(done), timeout=10_000)
    assert reports[-1] == (100_000, 100_000)
    assert len(reports) < 1_000


def test_latest_job_wins_and_the_older_result_is_dropped(qtbot: Any) -> None:
    kind = Latest()
    release = threading.Event()
    results: list[str] = []
    kind.finished.connect(results.append)

    def slow(progress: Any, cancel: Any) -> str:
        release.wait(5)  # ignores cancel on purpose: its result must still be dropped
        return "old"

    def fast(progress: Any, cancel: Any) -> str:
        return "new"

    old = kind.run(slow)
    new = kind.run(fast)
    assert old.cancel_token.cancelled
    qtbot.waitUntil(lambda: results == ["new"], timeout=5_000)
    release.set()
    qtbot.waitUntil(lambda: not old.running or running_jobs() == 0, timeout=5_000)
    qtbot.wait(50)
    assert results == ["new"]
    assert not new.running and not kind.busy


def test_latest_busy_is_false_in_its_own_slots(qtbot: Any) -> None:
    kind = Latest()
    seen: list[bool] = []
    kind.finished.connect(lambda _r: seen.append(kind.busy))
    kind.run(lambda progress, cancel: 1)
    assert kind.busy
    qtbot.waitUntil(lambda: bool(seen), timeout=5_000)
    assert seen == [False]


def test_queue_runs_one_after_another_in_order(qtbot: Any) -> None:
    queue = Queue()
    order: list[str] = []
    inside = threading.Lock()
    overlap: list[bool] = []
    failures: list[str] = []
    queue.failed.connect(lambda m, _d: failures.append(m))

    def step(name: str, fail: bool = False) -> Any:
        def work(progress: Any, cancel: Any) -> str:
            if not inside.acquire(blocking=False):
                overlap.append(True)
                return name
            try:
                time.sleep(0.02)
                if fail:
                    raise OptionsError(f"{name} failed.")
                return name
            finally:
                inside.release()

        return work

    queue.add(step("a"), order.append)
    queue.add(step("b", fail=True), order.append)
    queue.add(step("c"), order.append)
    assert queue.busy
    qtbot.waitUntil(lambda: not queue.busy, timeout=5_000)
    assert order == ["a", "c"] and failures == ["b failed."] and not overlap


def test_a_delayed_job_is_running_before_it_starts_and_wait_drops_it(qtbot: Any) -> None:
    ran: list[bool] = []
    job = jobs.run(lambda progress, cancel: ran.append(True), delay_ms=10_000)
    assert job.running
    assert wait_for_jobs(1_000)
    assert running_jobs() == 0 and not ran


def test_cancel_before_start_never_calls_the_function(qtbot: Any) -> None:
    ran: list[bool] = []
    ended: list[str] = []
    job = jobs.run(
        lambda progress, cancel: ran.append(True),
        delay_ms=20,
        cancelled=lambda: ended.append("cancelled"),
    )
    job.cancel()
    qtbot.waitUntil(lambda: ended == ["cancelled"], timeout=5_000)
    assert not ran


# --- one way: nothing else in ui/ touches Qt's threads ---------------------------------------

FORBIDDEN = {"QRunnable", "QThread", "QThreadPool"}


def _uses(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id in FORBIDDEN:
            found.append(f"{path.name}:{node.lineno} {node.id}")
        elif isinstance(node, ast.Attribute) and node.attr in FORBIDDEN:
            found.append(f"{path.name}:{node.lineno} {node.attr}")
        elif isinstance(node, ast.ImportFrom):
            found += [
                f"{path.name}:{node.lineno} {a.name}" for a in node.names if a.name in FORBIDDEN
            ]
    return found


def test_only_jobs_py_constructs_runnables_threads_or_uses_the_pool() -> None:
    offenders = [hit for p in sorted(UI.glob("*.py")) if p.name != "jobs.py" for hit in _uses(p)]
    assert offenders == []
    assert _uses(UI / "jobs.py")  # the check sees what it is looking for


def test_the_old_ways_are_gone() -> None:
    for name in ("workers.py", "single_job.py", "serial_jobs.py"):
        assert not (UI / name).exists()
    for path in UI.glob("*.py"):
        text = path.read_text(encoding="utf-8")
        for old in ("start_worker", "SingleJob", "SerialJobs", "_generation", "_retire("):
            assert old not in text, f"{path.name} still has {old}"


def test_nothing_is_delivered_to_an_owner_that_is_gone(qtbot: Any) -> None:
    """A dialog closed (and deleted) while its job runs gets no callback afterwards."""
    from PySide6.QtCore import QObject

    release = threading.Event()
    calls: list[str] = []
    owner = QObject()
    queue = Queue(owner)
    queue.add(lambda progress, cancel: release.wait(5), lambda _r: calls.append("then"))
    kind = Latest(owner)
    kind.run(lambda progress, cancel: release.wait(5), finished=lambda _r: calls.append("latest"))
    plain = QObject()
    jobs.run(
        lambda progress, cancel: release.wait(5),
        finished=lambda _r: calls.append("plain"),
        context=plain,
    )
    with qtbot.waitSignal(owner.destroyed):
        owner.deleteLater()
    with qtbot.waitSignal(plain.destroyed):
        plain.deleteLater()
    release.set()
    qtbot.waitUntil(lambda: running_jobs() == 0, timeout=5_000)  # all ends delivered
    assert calls == []
