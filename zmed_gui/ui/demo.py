"""Demo mode: a local Zuora emulator, an in-memory connection and a sample spreadsheet.

Nothing about the demo is written to the keyring or to the settings (the sample file is
not even added to the recent files), so it works on a machine without a keyring. The
upload step finds the demo through these fields of :class:`AppState` (set by
``set_demo`` and ``set_demo_sample``):

- ``state.demo`` (True), ``state.connection_name``
- ``state.demo_connection``: a :class:`~zmed_gui.core.connections.Connection` to the emulator
- ``state.demo_secret``: the emulator's client secret (in memory only)
- ``state.demo_target``: ``(base_url, meter_id)``
- ``state.demo_emulator``: the running :class:`~zmed_gui.emulator.Emulator`
- ``state.demo_sample``: the sample spreadsheet's path (or None)
"""

from __future__ import annotations

import logging
from contextlib import ExitStack
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from zmed_gui.core.connections import CUSTOM, Connection
from zmed_gui.emulator import (
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    DEMO_METER_ID,
    DEMO_METER_NUMBER,
    Emulator,
    demo_config,
    demo_schema,
)

if TYPE_CHECKING:
    from zmed_gui.ui.main_window import MainWindow

log = logging.getLogger(__name__)

DEMO_CONNECTION_NAME = "Demo (local emulator)"  # the Upload step lists it under this name


class DemoSession:
    """The running emulator and where the sample file is; :meth:`stop` ends both."""

    def __init__(self, emulator: Emulator, sample: Path | None, files: ExitStack) -> None:
        self.emulator = emulator
        self.sample = sample
        self._files = files

    def stop(self) -> None:
        if self.emulator.running:
            log.info("stopping the demo emulator on %s", self.emulator.base_url)
            self.emulator.stop()
        self._files.close()


def sample_path(files: ExitStack) -> Path | None:
    """The demo spreadsheet as a real file (extracted if the app runs from a zip)."""
    res = resources.files("zmed_gui.resources") / "samples" / "demo-usage.xlsx"
    if not res.is_file():
        return None
    return Path(files.enter_context(resources.as_file(res)))


def start_demo(window: MainWindow) -> DemoSession:
    """Start the emulator, point the state at it and open the sample spreadsheet."""
    state = window.state
    # The demo tenant rejects a couple of sample rows after receipt: reconciliation shows it.
    emulator = Emulator(demo_config(), host="127.0.0.1").start()
    log.info("demo emulator listening on %s", emulator.base_url)
    connection = Connection(
        name=DEMO_CONNECTION_NAME,
        environment=CUSTOM,
        custom_base_url=emulator.base_url,
        client_id=DEMO_CLIENT_ID,
        meter_id=DEMO_METER_ID,
        meter_number=str(DEMO_METER_NUMBER),
    )
    state.set_demo(connection, DEMO_CLIENT_SECRET, (emulator.base_url, DEMO_METER_ID), emulator)
    state.set_schema(demo_schema())
    window.update_status()  # title, banner and status bar say "demo"

    files = ExitStack()
    sample = sample_path(files)
    session = DemoSession(emulator, sample, files)
    state.set_demo_sample(sample)
    if sample is None:
        window.open_step.show_message(
            "The demo spreadsheet is missing from this installation; open any spreadsheet "
            "instead. Uploads still go to the local emulator."
        )
    else:
        window.open_path(sample)
    return session
