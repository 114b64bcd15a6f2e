"""`zmed-gui --self-test` run in-process, offscreen: every check must pass."""

from __future__ import annotations

import sys

import keyring
import keyring.backends.fail
import pytest

from zmed_gui import selftest

EXPECTED = [
    "Qt platform plugin",
    "main window",
    "QtSvg renders the app icon",
    "resources present",
    "sample spreadsheet read",
    "validation",
    "keyring backend",
    "TLS trust store",
    "time zones",
    "upload to the emulator",
]


def _lines(out: str) -> dict[str, str]:
    """check name -> status word ("ok", "warn", "FAIL")."""
    found = {}
    for line in out.splitlines():
        status, _, rest = line.partition(" ")
        if status in ("ok", "warn", "FAIL"):
            found[rest.strip().split(":", 1)[0]] = status
    return found


def test_every_check_passes(qapp, capsys: pytest.CaptureFixture[str]) -> None:
    code = selftest.main([])
    out = capsys.readouterr().out
    assert code == 0, out
    status = _lines(out)
    assert list(status) == EXPECTED, out
    not_ok = {name: s for name, s in status.items() if s != "ok"}
    assert not_ok == {}, out
    assert "self-test: 10 ok, 0 warning(s), 0 FAIL" in out
    # The emulator really received the sample's valid rows.
    upload = next(line for line in out.splitlines() if line.startswith("ok   upload"))
    assert "events received by the emulator" in upload


def test_no_keyring_is_a_warning_not_a_failure(qapp, capsys: pytest.CaptureFixture[str]) -> None:
    previous = keyring.get_keyring()
    keyring.set_keyring(keyring.backends.fail.Keyring())
    try:
        code = selftest.main(["--startup-probe"])  # Qt only: fast
        st = selftest.SelfTest(sys.stdout)
        try:
            outcome = st.run("keyring backend", st.check_keyring)
        finally:
            st.close()
    finally:
        keyring.set_keyring(previous)
    out = capsys.readouterr().out
    assert code == 0, out
    assert outcome.status == "warn"
    assert "asks for the secret" in outcome.detail


def test_a_failing_check_is_one_line_and_fails_the_run(capsys: pytest.CaptureFixture[str]) -> None:
    st = selftest.SelfTest(sys.stdout)
    try:

        def broken() -> str:
            raise FileNotFoundError("samples/demo-usage.xlsx is missing\nsecond line")

        outcome = st.run("resources present", broken)
    finally:
        st.close()
    out = capsys.readouterr().out
    assert outcome.status == "FAIL"
    assert out == "FAIL resources present: FileNotFoundError: samples/demo-usage.xlsx is missing\n"


def test_report_file(qapp, tmp_path, capsys: pytest.CaptureFixture[str]) -> None:
    report = tmp_path / "report.txt"
    assert selftest.main(["--startup-probe", "--output", str(report)]) == 0
    text = report.read_text(encoding="utf-8")
    assert text.startswith("ok   Qt platform plugin: ")
    assert "self-test: 2 ok" in text
    capsys.readouterr()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_process_age_is_plausible() -> None:
    age = selftest.process_age()
    assert age is not None
    assert 0 < age < 24 * 3600


def test_keyring_write_round_trip(memory_keyring) -> None:
    st = selftest.SelfTest(sys.stdout)
    try:
        detail = st.check_keyring_write()
    finally:
        st.close()
    assert "stored, read back and deleted" in detail
    assert memory_keyring.store == {}  # nothing left behind


@pytest.mark.secret_service
def test_keyring_write_against_the_secret_service(capsys: pytest.CaptureFixture[str]) -> None:
    st = selftest.SelfTest(sys.stdout)
    try:
        backend = st.run("keyring backend", st.check_keyring)
        written = st.run("keyring write", st.check_keyring_write)
    finally:
        st.close()
    out = capsys.readouterr().out
    assert backend.status == "ok" and "SecretService" in backend.detail, out
    assert written.status == "ok", out
