"""The whole app, as a user drives it: memory and GUI-thread stalls per phase.

    python bench/bench_app_flow.py [--rows 300000] [--repeats 3] [--rounds 2] [--quick]
        [--in-process-emulator] [--out bench/results/app_flow.json]

The real :class:`~zmed_gui.ui.main_window.MainWindow` runs offscreen in demo mode: a
generated workbook (``bench/make_samples.py --big``: the demo's six columns) is opened,
auto-mapped, checked in Review and uploaded to the emulator; then the same rows are sent
``--repeats`` times more ("send all again") and ``--rounds`` times cancelled part-way and
resumed. Writing the workbook is setup and not measured.

Figures, per phase:

- RSS: the largest VmRSS sampled every 20 ms from /proc/self/status during the phase, the
  VmRSS at its end (after the window has been idle for a second), and the process's peak
  so far (``resource.getrusage(RUSAGE_SELF).ru_maxrss``);
- the GUI thread's longest stall and 99th percentile: a 10 ms QTimer on the GUI thread
  records every gap between its ticks (a gap of 10 ms is no stall at all);
- wall time.

Repeated uploads report each run and the median. "after_upload_gc" is the VmRSS after an
explicit ``gc.collect()`` (diagnostic: what reference counting alone did not free).

By default the emulator runs in its own process: Zuora is another computer, so neither its
memory (it keeps every event it accepted) nor its JSON parsing is the app's. With
``--in-process-emulator`` it runs inside the app as the demo does (reset after each upload).

Goals (issue 11 item 7 and issue 12's app row): 300,000 rows under 600 MiB through Review
and upload, memory released after an upload, no growth over repeated uploads; a full
sheet (1,048,576 rows: the header and ``--rows 1048575``) with a peak RSS <= 1.5 GB; the
longest GUI-thread stall <= 100 ms.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_LOGGING_RULES", "qt.qpa.*=false")

BENCH = Path(__file__).resolve().parent
RESULTS = BENCH / "results" / "app_flow.json"
MIB = 1024 * 1024
STALL_GOAL_MS = 100.0
GOALS_MIB = {300_000: 600.0}  # issue 11: through Review and upload
PEAK_GOAL_BYTES = 1.5e9  # issue 12: 1,048,576 rows, peak RSS


# --- memory ------------------------------------------------------------------------------


def vmrss() -> int:
    """This process's resident set size now, in bytes (Linux)."""
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def rss_parts() -> dict[str, float]:
    """RssAnon (heap: Python objects, malloc) and RssFile (mapped files) now, in MiB."""
    parts = {}
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith(("RssAnon:", "RssFile:")):
                key, value = line.split()[:2]
                parts[key.rstrip(":").lower() + "_mib"] = round(int(value) / 1024, 1)
    return parts


def peak_rss() -> int:
    """The process's peak RSS so far, in bytes (ru_maxrss is KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


class RssSampler(threading.Thread):
    """Samples VmRSS every 20 ms and keeps the largest value per phase.

    With ``beat`` (the heartbeat) it also notes where the GUI thread is whenever it has
    not ticked for more than 100 ms: its Python stack, then every further 100 ms of the same
    stall (``--stall-stacks``).
    """

    def __init__(self, beat: Any = None) -> None:
        super().__init__(name="rss-sampler", daemon=True)
        self.phase = "setup"
        self.largest: dict[str, int] = {}
        self.beat = beat
        self.gui_ident = threading.get_ident()
        self.stall_stacks: list[tuple[str, float, str]] = []
        self._stop_event = threading.Event()

    def run(self) -> None:
        noted, mark = 0.0, 0.0
        goal = STALL_GOAL_MS / 1000
        while not self._stop_event.wait(0.02):
            rss = vmrss()
            phase = self.phase
            if rss > self.largest.get(phase, 0):
                self.largest[phase] = rss
            beat = self.beat
            if beat is not None and beat.timer_active:
                last = beat.last
                age = time.perf_counter() - last
                if last != noted:
                    mark = goal
                # Once past the goal, and again every further 100 ms of the same stall:
                # a long stall shows where it went on, not only where it began.
                if age > mark:
                    noted, mark = last, age + 0.1
                    self.stall_stacks.append((phase, age * 1000, self.gui_stack()))

    def gui_stack(self) -> str:
        """The GUI thread's stack, then where every other thread is.

        This thread needs the GIL to look, so it looks just after a worker let go of it: a
        worker's innermost lines are where it held the GIL for the stall (one long C call:
        a comprehension over a million rows, a native reader's batch of rows).
        """
        frames = sys._current_frames()
        try:
            frame = frames.get(self.gui_ident)
            lines = traceback.format_stack(frame)[-12:] if frame is not None else ["?\n"]
            for ident, other in frames.items():
                if ident in (self.gui_ident, threading.get_ident()):
                    continue
                inner = traceback.extract_stack(other)[-3:]
                where = " <- ".join(
                    f"{Path(f.filename).name}:{f.lineno} {f.name}" for f in reversed(inner)
                )
                lines.append(f"  [thread {ident}] {where}\n")
        finally:
            # The dict holds this very frame, which holds the dict: a cycle that would keep
            # every thread's frame (and an upload's plan in its locals) until a collection,
            # and the app freezes the collector's generations after an upload: for good.
            frames.clear()
            frame = other = None
        return "".join(lines)

    def stop(self) -> None:
        self._stop_event.set()
        self.join(2)


class GcPauses:
    """Every cyclic garbage collection: how long it held the GIL, per phase.

    A collection holds the GIL for all of its run, in whichever thread triggered it, so a
    long one in a worker stalls the GUI thread just as surely as one on it.
    """

    def __init__(self) -> None:
        self.phase = "setup"
        self.pauses: dict[str, list[tuple[float, int, bool]]] = {}
        self.gui_ident = threading.get_ident()
        self._started = 0.0

    def install(self) -> None:
        gc.callbacks.append(self._on_gc)

    def uninstall(self) -> None:
        gc.callbacks.remove(self._on_gc)

    def _on_gc(self, event: str, info: dict[str, int]) -> None:
        if event == "start":
            self._started = time.perf_counter()
            return
        ms = (time.perf_counter() - self._started) * 1000.0
        on_gui = threading.get_ident() == self.gui_ident
        self.pauses.setdefault(self.phase, []).append((ms, info["generation"], on_gui))

    def figures(self, phase: str) -> dict[str, float]:
        pauses = self.pauses.get(phase, [])
        return {
            "gc_runs": len(pauses),
            "gc_max_ms": round(max((p[0] for p in pauses), default=0.0), 1),
            "gc_total_ms": round(sum(p[0] for p in pauses), 1),
            "gc_gen2_runs": sum(1 for p in pauses if p[1] == 2),
            "gc_max_on_gui_thread_ms": round(max((p[0] for p in pauses if p[2]), default=0.0), 1),
        }


# --- the GUI thread's heartbeat -------------------------------------------------------------


def percentile(values: list[float], pct: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    k = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[k]


def make_heartbeat() -> Any:
    from PySide6.QtCore import QObject, QTimer

    class Heartbeat(QObject):
        """Ticks every 10 ms on the GUI thread; keeps every gap between ticks per phase."""

        def __init__(self) -> None:
            super().__init__()
            self.timer = QTimer(self)
            self.timer.setInterval(10)
            self.timer.timeout.connect(self._on_timer_timeout)
            self.phase = "setup"
            self.gaps: dict[str, list[float]] = {}
            self.last = time.perf_counter()

        @property
        def timer_active(self) -> bool:
            return self.phase != "bench"

        def start(self) -> None:
            self.last = time.perf_counter()
            self.timer.start()

        def switch(self, phase: str) -> None:
            self._on_timer_timeout()
            self.phase = phase

        def _on_timer_timeout(self) -> None:
            now = time.perf_counter()
            self.gaps.setdefault(self.phase, []).append((now - self.last) * 1000.0)
            self.last = now

    return Heartbeat()


# --- the emulator ---------------------------------------------------------------------------

EMULATOR_SCRIPT = (
    "import sys\n"
    "from zmed_gui.emulator import Emulator, EmulatorConfig, FaultPlan\n"
    "spec = sys.argv[1]\n"
    "cfg = EmulatorConfig(faults=FaultPlan.parse(spec)) if spec else EmulatorConfig()\n"
    "emu = Emulator(cfg).start()\n"
    "print(emu.base_url, flush=True)\n"
    "sys.stdin.read()\n"
    "emu.stop()\n"
)


class OwnProcessEmulator:
    """The emulator in a child process, reached over loopback."""

    def __init__(self, faults: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", EMULATOR_SCRIPT, faults],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        self.base_url = self.proc.stdout.readline().strip()
        if not self.base_url.startswith("http://127.0.0.1:"):
            raise SystemExit(f"the emulator did not start: {self.base_url!r}")

    def accepted(self) -> int:
        import httpx

        stats = httpx.get(f"{self.base_url}/_emulator/stats", timeout=30).json()
        return int(stats["accepted_events"])

    def reset(self) -> None:
        import httpx

        httpx.post(f"{self.base_url}/_emulator/reset", timeout=30).raise_for_status()

    def stop(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)


class InProcessEmulator:
    """The emulator inside the app's process, as the demo runs it."""

    def __init__(self, faults: str) -> None:
        from zmed_gui.emulator import Emulator, EmulatorConfig, FaultPlan

        config = EmulatorConfig(faults=FaultPlan.parse(faults)) if faults else EmulatorConfig()
        self.emu = Emulator(config).start()
        self.base_url = self.emu.base_url

    def accepted(self) -> int:
        return int(self.emu.stats()["accepted_events"])

    def reset(self) -> None:
        self.emu.reset()

    def stop(self) -> None:
        self.emu.stop()


# --- the run ------------------------------------------------------------------------------


class Bench:
    def __init__(self, args: argparse.Namespace, workbook: Path, emulator: Any) -> None:
        from PySide6.QtWidgets import QApplication

        from zmed_gui.ui.app import create_application, immortalise_singletons

        immortalise_singletons()
        app = create_application(sys.argv[:1])
        assert isinstance(app, QApplication)
        self.app = app
        self.args = args
        self.workbook = workbook
        self.emulator = emulator
        self.beat = make_heartbeat()
        self.sampler = RssSampler(self.beat if args.stall_stacks else None)
        self.gc_pauses = GcPauses()
        self.phases: dict[str, dict[str, Any]] = {}
        self.uploads: list[dict[str, Any]] = []
        self._phase = "setup"
        self._t0 = time.perf_counter()

    # -- plumbing ------------------------------------------------------------------------
    def wait(self, condition: Callable[[], bool], what: str, timeout: float) -> None:
        """Run the real event loop until ``condition`` holds (polled every 20 ms)."""
        from PySide6.QtCore import QEventLoop, QTimer

        if condition():
            return
        loop = QEventLoop()
        deadline = time.monotonic() + timeout
        timed_out = []

        def poll() -> None:
            if self.error_box() is not None or condition():
                loop.quit()
            elif time.monotonic() > deadline:
                timed_out.append(True)
                loop.quit()

        timer = QTimer()
        timer.setInterval(20)
        timer.timeout.connect(poll)
        timer.start()
        loop.exec()
        timer.stop()
        box = self.error_box()
        if box is not None:
            raise SystemExit(f"waiting for {what}, the window said: {box.text()}")
        if timed_out:
            raise SystemExit(f"timed out after {timeout:.0f} s waiting for {what}")

    @staticmethod
    def error_box() -> Any:
        """A message box the window shows that the benchmark does not answer: a failure."""
        from PySide6.QtWidgets import QApplication, QMessageBox

        for widget in QApplication.topLevelWidgets():
            guard = widget.windowTitle().startswith("Some events may already be")
            if isinstance(widget, QMessageBox) and widget.isVisible() and not guard:
                return widget
        return None

    def idle(self, seconds: float) -> None:
        end = time.monotonic() + seconds
        self.wait(lambda: time.monotonic() >= end, "idle", seconds + 5)

    def begin(self, phase: str) -> None:
        self._phase = phase
        self.sampler.phase = phase
        self.gc_pauses.phase = phase
        self.beat.switch(phase)
        self._t0 = time.perf_counter()

    def end(self, settle: float = 1.0, **extra: Any) -> dict[str, Any]:
        """Close the current phase: its wall time, stalls and memory (after ``settle`` s idle)."""
        wall = time.perf_counter() - self._t0
        if settle:
            self.idle(settle)  # what the window holds once it is quiet again
        phase = self._phase
        self.beat.switch("bench")  # the benchmark's own checks are no phase
        self.sampler.phase = "bench"
        self.gc_pauses.phase = "bench"
        gaps = self.beat.gaps.get(phase, [])
        figures = {
            "wall_s": round(wall, 3),
            "rss_end_mib": round(vmrss() / MIB, 1),
            "rss_max_mib": round(max(self.sampler.largest.get(phase, 0), vmrss()) / MIB, 1),
            "peak_rss_mib": round(peak_rss() / MIB, 1),
            "stall_max_ms": round(max(gaps, default=0.0), 1),
            "stall_p99_ms": round(percentile(gaps, 99), 1),
            "ticks": len(gaps),
            **rss_parts(),
            **self.gc_pauses.figures(phase),
            **extra,
        }
        self.phases[phase] = figures
        print(
            f"{phase:<22} {wall:7.2f} s  RSS end {figures['rss_end_mib']:7.1f} MiB, "
            f"max {figures['rss_max_mib']:7.1f} MiB, peak {figures['peak_rss_mib']:7.1f} MiB; "
            f"GUI stall max {figures['stall_max_ms']:6.1f} ms, "
            f"p99 {figures['stall_p99_ms']:5.1f} ms; "
            f"gc max {figures['gc_max_ms']:5.1f} ms ({figures['gc_gen2_runs']} full)",
            flush=True,
        )
        return figures

    # -- the window ----------------------------------------------------------------------
    def make_window(self) -> Any:
        from zmed_gui.core.connections import CUSTOM, Connection
        from zmed_gui.emulator import (
            DEMO_CLIENT_ID,
            DEMO_CLIENT_SECRET,
            DEMO_METER_ID,
            DEMO_METER_NUMBER,
            demo_schema,
        )
        from zmed_gui.ui.demo import DEMO_CONNECTION_NAME
        from zmed_gui.ui.main_window import MainWindow

        window = MainWindow()
        window.resize(1366, 800)
        state = window.state
        base_url = self.emulator.base_url
        # What ui/demo.start_demo does, pointed at this benchmark's emulator.
        connection = Connection(
            name=DEMO_CONNECTION_NAME,
            environment=CUSTOM,
            custom_base_url=base_url,
            client_id=DEMO_CLIENT_ID,
            meter_id=DEMO_METER_ID,
            meter_number=str(DEMO_METER_NUMBER),
        )
        state.set_demo(connection, DEMO_CLIENT_SECRET, (base_url, DEMO_METER_ID))
        state.set_schema(demo_schema())
        window.demo_banner.setVisible(True)
        window.show()
        return window

    def upload(self, up: Any, what: str, start: Callable[[], None]) -> Any:
        finished: list[Any] = []
        stopped: list[str] = []
        up.upload_finished.connect(finished.append)
        up.upload_stopped.connect(stopped.append)
        try:
            start()
            self.wait(lambda: bool(finished or stopped) and not up.busy, what, self.timeout)
        finally:
            up.upload_finished.disconnect(finished.append)
            up.upload_stopped.disconnect(stopped.append)
        if not finished:
            raise SystemExit(f"{what} stopped: {stopped[-1] if stopped else '?'}")
        return finished[-1]

    @property
    def timeout(self) -> float:
        return max(120.0, self.args.rows / 2_000)

    def run(self) -> dict[str, Any]:
        from zmed_gui.ui.main_window import MAP, UPLOAD
        from zmed_gui.ui.upload_dialogs import GuardChoice, button_for

        self.sampler.start()
        self.gc_pauses.install()
        self.beat.start()
        window = self.make_window()
        self.idle(0.5)
        rows = self.args.rows
        self.phases["start"] = {"rss_end_mib": round(vmrss() / MIB, 1)}

        # 1. open: preview, then the whole sheet is read and auto-mapped
        self.begin("opened")
        window.open_path(self.workbook)
        op = window.open_step
        self.wait(lambda: op.grid is not None and not op.busy, "the preview", self.timeout)
        op.continue_to_map()
        ms = window.map_step
        self.wait(
            lambda: (
                window.current_step() == MAP and not ms.preparing and window.state.table is not None
            ),
            "the Map step",
            self.timeout,
        )
        table = window.state.table
        if len(table) != rows:
            raise SystemExit(f"the table has {len(table)} rows, not {rows}")
        self.end()

        # 2. Check data: Review validates; scroll to the end and back as a user would
        self.begin("reviewed")
        ms.check_button.click()
        rv = window.review_step
        self.wait(
            lambda: window.state.validation is not None and not rv.busy,
            "the check",
            self.timeout,
        )
        view = getattr(rv, "view", None)
        if view is not None:
            view.scrollToBottom()
            self.idle(0.1)
            view.scrollToTop()
        self.end()

        # 3. upload to the emulator
        if not window.go_to(UPLOAD):
            raise SystemExit("the Upload step is not reachable")
        up = window.upload_step
        self.wait(lambda: up.start_button.isEnabled(), "the Upload button", 30)
        if self.args.batch_size:
            up.batch_spin.setValue(self.args.batch_size)
        up.concurrency_spin.setValue(self.args.concurrency)
        sendable = self.sendable(window)

        # The guard only asks on a resume after a cancel (events in flight are uncertain):
        # the benchmark answers "send all", so every round sends every row once more.
        def answer(box: Any) -> None:
            from PySide6.QtCore import QTimer

            QTimer.singleShot(0, button_for(box, GuardChoice.SEND_ALL).click)

        up.guard_shown.connect(answer)

        self.begin("upload")
        result = self.upload(up, "the upload", up.start_button.click)
        self.end(settle=0.0, accepted=result.accepted)
        self.check_sent(result, sendable, "the first upload")
        self.begin("after_upload")
        self.end(settle=2.0)
        gc.collect()
        self.phases["after_upload_gc"] = {"rss_end_mib": round(vmrss() / MIB, 1)}

        # 4. the same rows sent again ("send all again"), --repeats times
        again = {"allow_duplicates": True, "resend_uncertain": True}
        runs = []
        for i in range(self.args.repeats):
            self.emulator.reset()
            self.begin(f"repeat_{i + 1}")
            result = self.upload(up, f"repeat {i + 1}", lambda: up.start_upload(**again))
            runs.append(self.end(settle=1.0, accepted=result.accepted))
            self.check_sent(result, sendable, f"repeat {i + 1}")

        # 5. cancelled part-way, then resumed (the guard is answered "send all")
        rounds = []
        for i in range(self.args.rounds):
            self.emulator.reset()
            self.begin(f"cancel_resume_{i + 1}")

            def part_way(bar: Any = up.progress_bar) -> bool:
                return bool(bar.maximum() > 1 and bar.value() >= bar.maximum() * 0.3)

            def start_then_cancel() -> None:
                up.start_upload(**again)
                self.wait(lambda: part_way() or not up.busy, "progress", self.timeout)
                up.cancel_button.click()

            first = self.upload_or_stop(up, f"round {i + 1}", start_then_cancel)
            cancelled = first is None or bool(first.interrupted)
            result = first
            if cancelled:
                result = self.upload(up, f"resume {i + 1}", up.resume_button.click)
                if result.interrupted:
                    raise SystemExit(f"resume {i + 1} did not finish: {result.message}")
            rounds.append(self.end(settle=1.0, cancelled=cancelled))

        self.begin("final")
        self.end(settle=2.0)
        gc.collect()
        self.phases["final_gc"] = {"rss_end_mib": round(vmrss() / MIB, 1)}

        self.beat.timer.stop()
        self.sampler.stop()
        self.gc_pauses.uninstall()
        self.print_stall_stacks()
        window.close()
        from zmed_gui.ui.jobs import wait_for_jobs

        wait_for_jobs(30_000)
        return self.summary(runs, rounds)

    def print_stall_stacks(self) -> None:
        """Where the GUI thread was in each stall, the commonest innermost lines first."""
        stacks = self.sampler.stall_stacks
        if not stacks:
            return
        print(f"\n{len(stacks)} stalls over {STALL_GOAL_MS:.0f} ms; the GUI thread was in:")
        for phase, age, stack in stacks:
            print(f"--- {phase}: {age:.0f} ms and counting\n{stack}")

    def upload_or_stop(self, up: Any, what: str, start: Callable[[], None]) -> Any:
        """Like :meth:`upload`, but a cancel that stops the upload is no failure."""
        finished: list[Any] = []
        stopped: list[str] = []
        up.upload_finished.connect(finished.append)
        up.upload_stopped.connect(stopped.append)
        try:
            start()
            self.wait(lambda: bool(finished or stopped) and not up.busy, what, self.timeout)
        finally:
            up.upload_finished.disconnect(finished.append)
            up.upload_stopped.disconnect(stopped.append)
        return finished[-1] if finished else None

    @staticmethod
    def sendable(window: Any) -> int:
        from zmed_gui.ui.main_window import sendable_rows

        return int(sendable_rows(window.state.validation))

    def check_sent(self, result: Any, sendable: int, what: str) -> None:
        """Every sendable row was accepted, by the app's count and by the emulator's."""
        got = self.emulator.accepted()
        if result.interrupted or result.accepted != sendable or got != sendable:
            raise SystemExit(
                f"{what}: {result.accepted} accepted ({got} by the emulator) of {sendable}"
            )

    def summary(self, runs: list[dict[str, Any]], rounds: list[dict[str, Any]]) -> dict[str, Any]:
        phases = self.phases
        rows = self.args.rows
        flow = [p for p in phases.values() if "stall_max_ms" in p]
        longest = max((p["stall_max_ms"] for p in flow), default=0.0)
        through = max(
            phases[p]["rss_max_mib"] for p in ("opened", "reviewed", "upload") if p in phases
        )
        peak = peak_rss()
        out: dict[str, Any] = {
            "rows": rows,
            "peak_rss_mib": round(peak / MIB, 1),
            "rss_through_review_and_upload_mib": through,
            "rss_reviewed_mib": phases["reviewed"]["rss_end_mib"],
            "rss_during_upload_max_mib": phases["upload"]["rss_max_mib"],
            "rss_after_upload_mib": phases["after_upload"]["rss_end_mib"],
            "released_after_upload_mib": round(
                phases["upload"]["rss_max_mib"] - phases["after_upload"]["rss_end_mib"], 1
            ),
            "rss_after_repeats_mib": runs[-1]["rss_end_mib"] if runs else None,
            "growth_over_repeats_mib": (
                round(runs[-1]["rss_end_mib"] - phases["after_upload"]["rss_end_mib"], 1)
                if runs
                else None
            ),
            "rss_after_cancel_resume_mib": rounds[-1]["rss_end_mib"] if rounds else None,
            "rss_final_mib": phases["final"]["rss_end_mib"],
            "longest_stall_ms": longest,
            "stall_p99_ms": max((p["stall_p99_ms"] for p in flow), default=0.0),
            "median_upload_wall_s": (
                round(
                    statistics.median([phases["upload"]["wall_s"]] + [r["wall_s"] for r in runs]), 3
                )
            ),
            "median_cancel_resume_wall_s": (
                round(statistics.median(r["wall_s"] for r in rounds), 3) if rounds else None
            ),
        }
        goals: dict[str, Any] = {"longest_stall_ms<=100": longest <= STALL_GOAL_MS}
        if rows in GOALS_MIB:
            goals["through_review_and_upload<600MiB"] = through < GOALS_MIB[rows]
        if rows >= 1_048_575:
            goals["peak_rss<=1.5GB"] = peak <= PEAK_GOAL_BYTES
        out["goals_met"] = goals
        return out


def write_workbook(rows: int, folder: Path) -> Path:
    sys.path.insert(0, str(BENCH))
    from make_samples import write_big_xlsx

    path = folder / f"app-flow-{rows}.xlsx"
    write_big_xlsx(path, rows)
    return path


def isolate(home: Path) -> None:
    """Settings, journal and logs in a fresh folder; no keyring needed (demo mode)."""
    for var in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        folder = home / var.lower()
        folder.mkdir(parents=True, exist_ok=True)
        os.environ[var] = str(folder)
    import keyring
    from keyring.backends import fail

    keyring.set_keyring(fail.Keyring())


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--rows", type=int, default=300_000)
    ap.add_argument("--repeats", type=int, default=3, help="uploads of the same rows again")
    ap.add_argument("--rounds", type=int, default=2, help="cancel/resume rounds")
    ap.add_argument("--quick", action="store_true", help="a small run (smoke test)")
    ap.add_argument("--concurrency", type=int, default=4)
    ap.add_argument("--batch-size", type=int, default=0, help="0: the app's default")
    ap.add_argument("--in-process-emulator", action="store_true")
    ap.add_argument(
        "--stall-stacks", action="store_true", help="print the GUI thread's stack in stalls"
    )
    ap.add_argument("--out", type=Path, default=RESULTS)
    args = ap.parse_args(argv)
    faults = ""
    if args.quick:
        args.rows, args.repeats, args.rounds = min(args.rows, 2_000), 1, 1
        args.batch_size = args.batch_size or 100
        faults = "seed=1,slow=1:0.2"  # slow enough that a cancel lands part-way
    with tempfile.TemporaryDirectory(prefix="bench-app-flow-") as tmp:
        folder = Path(tmp)
        t0 = time.perf_counter()
        workbook = write_workbook(args.rows, folder)
        print(f"wrote {args.rows:,} rows in {time.perf_counter() - t0:.1f} s (setup)", flush=True)
        isolate(folder / "home")
        emulator: Any = (
            InProcessEmulator(faults) if args.in_process_emulator else OwnProcessEmulator(faults)
        )
        try:
            bench = Bench(args, workbook, emulator)
            summary = bench.run()
            phases = bench.phases
        finally:
            emulator.stop()
    record = {
        "benchmark": "app_flow",
        "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "python": sys.version.split()[0],
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "emulator": "in-process" if args.in_process_emulator else "own process",
        "repeats": args.repeats,
        "rounds": args.rounds,
        "concurrency": args.concurrency,
        "summary": summary,
        "phases": phases,
    }
    print(json.dumps(summary, indent=2))
    # One file, one entry per row count: a 1M run does not erase the 300k figures.
    existing: dict[str, Any] = {}
    if args.out.exists():
        try:
            existing = json.loads(args.out.read_text(encoding="utf-8"))
        except ValueError:
            existing = {}
    runs = existing.get("runs", {}) if isinstance(existing.get("runs"), dict) else {}
    runs["quick" if args.quick else str(args.rows)] = record
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps({"benchmark": "app_flow", "runs": runs}, indent=2) + "\n", encoding="utf-8"
    )
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
