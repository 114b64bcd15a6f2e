"""``zmed-gui --self-test``: check that an installed or frozen app has everything it needs.

Runs headless (offscreen Qt when there is no display), prints one line per check::

    ok   Qt platform plugin: offscreen, widget grabbed 64x48
    warn keyring backend: fail.Keyring (no usable keyring; passwords are asked each time)
    FAIL sample spreadsheet read: SourceError: ...

and returns 1 when any check failed (warnings do not fail). Each check is isolated: an
exception becomes its one-line reason and the next check runs. Nothing is sent anywhere
but to an in-process emulator on 127.0.0.1, and nothing is written outside a temporary
folder. Also runs as ``python -m zmed_gui.selftest``; ``--startup-probe`` runs only the
window checks and prints how long the first window took, for packaging/ci.sh.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.resources
import os
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

_T_IMPORT = time.perf_counter()  # fallback origin when the process start time is unknown

SAMPLE_XLSX = ("samples", "demo-usage.xlsx")
DEMO_SCHEMA = ("schemas", "demo-meter.json")
APP_ICON = ("icons", "zmed-gui.svg")
MODAL_WATCHDOG_MS = 8000


class Warn(Exception):
    """Raised by a check whose outcome is acceptable but worth a look (printed as ``warn``)."""


@dataclass
class Outcome:
    name: str
    status: str  # "ok", "warn", "FAIL"
    detail: str


def _resource(*parts: str) -> Any:
    node = importlib.resources.files("zmed_gui.resources")
    for p in parts:
        node = node / p
    return node


def process_age() -> float | None:
    """Seconds since this process was created, from the OS; None when unknown."""
    try:
        if sys.platform.startswith("linux"):
            with open("/proc/self/stat", encoding="ascii") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
            start_ticks = int(fields[19])  # field 22 counted from 1, after "pid (comm)"
            with open("/proc/uptime", encoding="ascii") as fh:
                uptime = float(fh.read().split()[0])
            return uptime - start_ticks / os.sysconf("SC_CLK_TCK")
        if sys.platform == "win32":
            import ctypes
            from ctypes import wintypes

            ft = [wintypes.FILETIME() for _ in range(4)]
            k32 = ctypes.windll.kernel32  # type: ignore[attr-defined]
            if not k32.GetProcessTimes(k32.GetCurrentProcess(), *[ctypes.byref(f) for f in ft]):
                return None
            now = wintypes.FILETIME()
            k32.GetSystemTimeAsFileTime(ctypes.byref(now))

            def val(f: Any) -> int:
                return (f.dwHighDateTime << 32) | f.dwLowDateTime

            return (val(now) - val(ft[0])) / 1e7
    except Exception:
        return None
    return None


class SelfTest:
    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.outcomes: list[Outcome] = []
        self.app: Any = None
        self.table: Any = None
        self.validation: Any = None
        self.first_window_s: float | None = None
        self._tmp = tempfile.TemporaryDirectory(prefix="zmed-selftest-")
        self.tmp = Path(self._tmp.name)

    def close(self) -> None:
        try:
            self._tmp.cleanup()
        except OSError:
            pass

    # ------------------------------------------------------------------ running
    def run(self, name: str, check: Callable[[], str]) -> Outcome:
        try:
            outcome = Outcome(name, "ok", check())
        except Warn as w:
            outcome = Outcome(name, "warn", str(w))
        except BaseException as exc:
            if isinstance(exc, KeyboardInterrupt):
                raise
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
            outcome = Outcome(name, "FAIL", f"{type(exc).__name__}: {reason}".rstrip(": "))
        self.outcomes.append(outcome)
        tag = {"ok": "ok  ", "warn": "warn", "FAIL": "FAIL"}[outcome.status]
        print(f"{tag} {name}: {outcome.detail}", file=self.out, flush=True)
        return outcome

    # ------------------------------------------------------------------ Qt
    def check_qt(self) -> str:
        from PySide6.QtCore import QCoreApplication
        from PySide6.QtWidgets import QApplication, QLabel

        app = QCoreApplication.instance()
        if app is None:
            app = QApplication([sys.argv[0] if sys.argv else "zmed-gui"])
        elif not isinstance(app, QApplication):
            raise RuntimeError(f"a {type(app).__name__} exists; widgets need a QApplication")
        self.app = app
        label = QLabel("zmed-gui self-test")
        label.resize(160, 40)
        label.show()
        app.processEvents()
        pixmap = label.grab()
        label.close()
        label.deleteLater()
        if pixmap.isNull() or pixmap.width() == 0:
            raise RuntimeError("grab() of a shown widget returned an empty image")
        return f"{app.platformName()}, widget grabbed {pixmap.width()}x{pixmap.height()}"

    def check_main_window(self) -> str:
        from PySide6.QtCore import QTimer
        from PySide6.QtWidgets import QApplication

        if self.app is None:
            raise RuntimeError("no QApplication (the Qt check failed)")
        try:
            module = importlib.import_module("zmed_gui.ui.main_window")
        except ModuleNotFoundError as exc:
            if exc.name != "zmed_gui.ui.main_window":
                raise
            raise Warn("zmed_gui.ui.main_window is not in this build; not timed") from None
        cls = getattr(module, "MainWindow", None)
        if cls is None:
            raise Warn("zmed_gui.ui.main_window has no MainWindow class; not timed")

        closed_modals: list[str] = []

        def _close_modals() -> None:
            # A dialog that runs its own event loop at start-up would hang a headless run.
            while (w := QApplication.activeModalWidget()) is not None:
                closed_modals.append(w.windowTitle() or type(w).__name__)
                w.close()
                if hasattr(w, "reject"):
                    w.reject()

        watchdog = QTimer()
        watchdog.setSingleShot(True)
        watchdog.timeout.connect(_close_modals)
        watchdog.start(MODAL_WATCHDOG_MS)
        t0 = time.perf_counter()
        window = cls()
        window.show()
        self.app.processEvents()
        built = time.perf_counter() - t0
        age = process_age()
        self.first_window_s = age if age is not None else time.perf_counter() - _T_IMPORT
        pixmap = window.grab()
        watchdog.stop()
        window.close()
        window.deleteLater()
        self.app.processEvents()
        if pixmap.isNull():
            raise RuntimeError("the main window rendered an empty image")
        if closed_modals:
            raise RuntimeError(f"a modal dialog blocked start-up: {', '.join(closed_modals)}")
        origin = "process start" if age is not None else "self-test import"
        return (
            f"built and shown in {built * 1000:.0f} ms; first window "
            f"{self.first_window_s * 1000:.0f} ms after {origin}"
        )

    def check_svg(self) -> str:
        from PySide6.QtCore import QByteArray, Qt
        from PySide6.QtGui import QImage, QPainter
        from PySide6.QtSvg import QSvgRenderer

        data = _resource(*APP_ICON).read_bytes()
        renderer = QSvgRenderer(QByteArray(data))
        if not renderer.isValid():
            raise RuntimeError("QSvgRenderer says the app icon is not a valid SVG")
        image = QImage(32, 32, QImage.Format.Format_ARGB32)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        renderer.render(painter)
        painter.end()
        opaque = sum(1 for y in range(32) for x in range(32) if image.pixelColor(x, y).alpha())
        if opaque < 256:
            raise RuntimeError(f"the rendered icon is nearly empty ({opaque} of 1024 pixels)")
        return f"app icon rendered at 32 px ({opaque} of 1024 pixels drawn)"

    # ------------------------------------------------------------------ data
    def check_resources(self) -> str:
        found = []
        for parts in (SAMPLE_XLSX, DEMO_SCHEMA, APP_ICON):
            node = _resource(*parts)
            if not node.is_file():
                raise FileNotFoundError(f"{'/'.join(parts)} is missing from zmed_gui.resources")
            found.append(f"{'/'.join(parts)} ({len(node.read_bytes()):,} B)")
        return ", ".join(found)

    def check_sample(self) -> str:
        from zmed_gui.core.read import load_table

        with importlib.resources.as_file(_resource(*SAMPLE_XLSX)) as path:
            table = load_table(Path(path))
        self.table = table
        if len(table) == 0:
            raise RuntimeError("the sample has no data rows")
        headers = list(getattr(table, "headers", []))
        return f"{len(table)} rows x {len(headers)} columns ({', '.join(map(str, headers[:6]))})"

    def check_validation(self) -> str:
        from zmed_gui.core.convert import ConversionOptions
        from zmed_gui.core.mapping import auto_match
        from zmed_gui.core.schema import load_schema
        from zmed_gui.core.validate import validate

        if self.table is None:
            raise RuntimeError("no table (the sample check failed)")
        with importlib.resources.as_file(_resource(*DEMO_SCHEMA)) as path:
            schema = load_schema(Path(path))
        headers = list(self.table.headers)
        mapping = auto_match(headers, schema)
        options = ConversionOptions(timezone="Europe/Berlin")
        result = validate(self.table, schema, mapping, options)
        self.validation = result
        if result.mapping_problems:
            raise RuntimeError("; ".join(result.mapping_problems))
        valid = len(result.valid_rows())
        if valid == 0:
            raise RuntimeError(f"no valid rows of {len(self.table)}; {len(result.issues)} issues")
        mapped = sum(1 for f in schema.names if mapping.source(f) is not None)
        return (
            f"{mapped}/{len(schema.fields)} fields matched, {valid} of {len(self.table)} rows "
            f"valid, {len(result.issues)} issues"
        )

    # ------------------------------------------------------------------ platform services
    def check_keyring(self) -> str:
        import keyring

        from zmed_gui.core.connections import keyring_available

        def label(backend: object) -> str:
            cls = type(backend)
            return f"{cls.__module__.removeprefix('keyring.backends.')}.{cls.__name__}"

        ring = keyring.get_keyring()
        name = label(ring)
        inner = getattr(ring, "backends", None)
        if inner is not None:  # the chainer: name what it chains
            name += " [" + ", ".join(label(b) for b in inner) + "]"
        # The app's own test (fail and null backends keep nothing), without touching the
        # keyring: a locked one would otherwise ask the user to unlock it.
        if not keyring_available():
            raise Warn(
                f"{name}: no usable keyring on this computer; the app asks for the secret "
                "each time instead of saving it"
            )
        return name

    def check_keyring_write(self) -> str:
        """Store, read back and delete a throw-away secret (opt-in: may ask to unlock)."""
        import secrets

        import keyring

        service, user = "zmed-gui self-test", f"probe-{os.getpid()}"
        value = secrets.token_urlsafe(16)
        keyring.set_password(service, user, value)
        try:
            if keyring.get_password(service, user) != value:
                raise RuntimeError("the secret read back differs from the one stored")
        finally:
            keyring.delete_password(service, user)
        if keyring.get_password(service, user) is not None:
            raise RuntimeError("the secret is still there after deleting it")
        return "stored, read back and deleted a secret"

    def check_tls(self) -> str:
        import ssl

        import truststore

        ctx = truststore.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        if ctx.verify_mode != ssl.CERT_REQUIRED:
            raise RuntimeError("truststore's context does not verify certificates")
        if sys.platform == "win32":
            return "truststore SSLContext uses the Windows certificate store"
        if sys.platform == "darwin":
            return "truststore SSLContext uses the macOS keychain"
        # Linux: truststore hands OpenSSL the distribution's CA bundle; count it the same way.
        paths = ssl.get_default_verify_paths()
        candidates = [paths.cafile, paths.openssl_cafile]
        try:
            from truststore import _openssl

            candidates += list(getattr(_openssl, "_CA_FILE_CANDIDATES", ()))
        except ImportError:
            pass
        for cafile in candidates:
            if cafile and os.path.isfile(cafile):
                probe = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
                probe.load_verify_locations(cafile=cafile)
                n = probe.cert_store_stats()["x509_ca"]
                if n == 0:
                    raise RuntimeError(f"{cafile} holds no CA certificates")
                return f"truststore SSLContext; {n} CA certificates in {cafile}"
        capath = paths.capath or paths.openssl_capath
        if capath and os.path.isdir(capath) and os.listdir(capath):
            return f"truststore SSLContext; CA directory {capath}"
        raise RuntimeError(
            "no CA certificates found (install the ca-certificates package); "
            "HTTPS connections to Zuora would fail"
        )

    def check_timezones(self) -> str:
        import datetime as dt
        import zoneinfo

        berlin = zoneinfo.ZoneInfo("Europe/Berlin")
        summer = dt.datetime(2026, 7, 1, 12, tzinfo=berlin).utcoffset()
        winter = dt.datetime(2026, 1, 1, 12, tzinfo=berlin).utcoffset()
        if summer != dt.timedelta(hours=2) or winter != dt.timedelta(hours=1):
            raise RuntimeError(f"Europe/Berlin offsets are wrong: {summer}, {winter}")
        # The bundled IANA database must be there: Windows has no system one.
        tzdata_berlin = importlib.resources.files("tzdata.zoneinfo") / "Europe" / "Berlin"
        if not tzdata_berlin.is_file():
            raise RuntimeError("the tzdata package's database is missing")
        import tzdata

        local = "unknown"
        try:
            import tzlocal

            local = str(tzlocal.get_localzone_name() or "unknown")
        except Exception as exc:
            local = f"unknown ({type(exc).__name__})"
        return f"Europe/Berlin +01:00/+02:00; tzdata {tzdata.IANA_VERSION}; this computer: {local}"

    # ------------------------------------------------------------------ upload
    def check_upload(self) -> str:
        from zmed_gui.emulator import (
            DEMO_CLIENT_ID,
            DEMO_CLIENT_SECRET,
            DEMO_METER_ID,
            Emulator,
        )

        if self.validation is None:
            raise RuntimeError("nothing to send (the validation check failed)")
        from zmed_gui.core.connections import CUSTOM, Connection, make_target
        from zmed_gui.core.upload import UploadOptions, UploadRequest, UploadSession

        validation = self.validation
        expected = len(validation.valid_rows())
        with Emulator() as emu:
            conn = Connection(
                name="self-test",
                environment=CUSTOM,
                client_id=DEMO_CLIENT_ID,
                custom_base_url=emu.base_url,
            )
            request = UploadRequest(
                target=make_target(emu.base_url, DEMO_METER_ID),
                connection=conn,
                options=UploadOptions(concurrency=2, timeout=20.0),
                validation=validation,
                program="zmed-gui --self-test",
            )
            session = UploadSession(
                request, secret=DEMO_CLIENT_SECRET, journal_path=self.tmp / "journal.sqlite3"
            )
            result = session.run()
            got = emu.stats().get("accepted_events", len(emu.accepted_events()))
        if result.error is not None or result.interrupted:
            raise RuntimeError(result.message or "upload interrupted")
        if got != expected:
            raise RuntimeError(f"the emulator accepted {got} of {expected} events")
        return (
            f"{got} events received by the emulator at 127.0.0.1 through core.upload."
            f"UploadSession, {result.batches} batch(es), track id {result.track_id}"
        )


def _checks(
    st: SelfTest, startup_only: bool, keyring_write: bool = False
) -> list[tuple[str, Callable[[], str]]]:
    checks = [
        ("Qt platform plugin", st.check_qt),
        ("main window", st.check_main_window),
    ]
    if startup_only:
        return checks
    return [
        *checks,
        ("QtSvg renders the app icon", st.check_svg),
        ("resources present", st.check_resources),
        ("sample spreadsheet read", st.check_sample),
        ("validation", st.check_validation),
        ("keyring backend", st.check_keyring),
        *([("keyring write", st.check_keyring_write)] if keyring_write else []),
        ("TLS trust store", st.check_tls),
        ("time zones", st.check_timezones),
        ("upload to the emulator", st.check_upload),
    ]


def main(argv: list[str] | None = None) -> int:
    """Run the checks; 0 when none failed, 1 otherwise."""
    parser = argparse.ArgumentParser(prog="zmed-gui --self-test", description=__doc__)
    parser.add_argument(
        "--startup-probe", action="store_true", help="only time the first window and exit"
    )
    parser.add_argument(
        "--keyring-write",
        action="store_true",
        help="also store and delete a test secret (a locked keyring may ask to be unlocked)",
    )
    parser.add_argument("--output", type=Path, help="also write the report to this file")
    raw = sys.argv[1:] if argv is None else argv
    args = parser.parse_args([a for a in raw if a != "--self-test"])

    if (
        not os.environ.get("QT_QPA_PLATFORM")
        and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
        and sys.platform.startswith("linux")
    ):
        os.environ["QT_QPA_PLATFORM"] = "offscreen"

    # A windowed Windows build has no stdout; then the report goes to a file only.
    out: TextIO = sys.stdout if sys.stdout is not None else open(os.devnull, "w")  # noqa: SIM115
    if args.output is None and sys.stdout is None:
        args.output = Path(tempfile.gettempdir()) / "zmed-gui-self-test.txt"
    from zmed_gui import __version__

    st = SelfTest(out)
    kind = "frozen" if getattr(sys, "frozen", False) else "python"
    py = sys.version.split()[0]
    print(f"zmed-gui {__version__} self-test ({kind}, {sys.platform}, Python {py})", file=out)
    try:
        for name, check in _checks(st, args.startup_probe, args.keyring_write):
            st.run(name, check)
    finally:
        st.close()
    failed = [o for o in st.outcomes if o.status == "FAIL"]
    warned = [o for o in st.outcomes if o.status == "warn"]
    ok = len(st.outcomes) - len(failed) - len(warned)
    if st.first_window_s is not None:
        print(f"startup: first window {st.first_window_s * 1000:.0f} ms", file=out)
    summary = f"self-test: {ok} ok, {len(warned)} warning(s), {len(failed)} FAIL"
    print(summary, file=out, flush=True)
    if args.output is not None:
        lines = [f"{o.status:4} {o.name}: {o.detail}" for o in st.outcomes] + [summary]
        args.output.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
