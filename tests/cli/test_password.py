"""Issue 10 item 8 through `zmed-upload validate`: a password-protected workbook's password
comes from ZMED_WORKBOOK_PASSWORD or a hidden prompt in a terminal, never from argv; without
either the command stops with exit code 2 and one sentence saying how to give it."""

from __future__ import annotations

import io
import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

import openpyxl
import pytest
from msoffcrypto.format.ooxml import OOXMLFile

from zmed_gui.cli import build_parser, main

PASSWORD = "Quartal-4 geheim"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def secret(tmp_path: Path) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["CustomerId", "UsageIdentifier", "UsageDate", "Quantity"])
    for i in range(3):
        ws.append([f"A-{i}", "API_CALLS", "2026-11-0" + str(i + 1), i + 1])
    plain = io.BytesIO()
    wb.save(plain)
    path = tmp_path / "secret.xlsx"
    with path.open("wb") as out:
        OOXMLFile(io.BytesIO(plain.getvalue())).encrypt(PASSWORD, out)
    return path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["validate", *argv, "--timezone", "UTC"])
    out, err = capsys.readouterr()
    return code, out, err


def _one_line(code: int, err: str) -> str:
    lines = err.strip().splitlines()
    assert code == 2, err
    assert len(lines) == 1, err
    return lines[0].removeprefix("zmed-upload: ")


def test_password_from_the_environment(
    secret: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ZMED_WORKBOOK_PASSWORD", PASSWORD)
    code, out, err = run(capsys, str(secret))
    assert code == 0, err
    assert "Read 3 rows from secret.xlsx" in out
    assert PASSWORD not in out + err


def test_wrong_password_in_the_environment(
    secret: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ZMED_WORKBOOK_PASSWORD", "wrong one")
    code, out, err = run(capsys, str(secret))
    assert _one_line(code, err) == (
        "The password in ZMED_WORKBOOK_PASSWORD does not open secret.xlsx; set it to the "
        "workbook's password (capital letters count) and run the command again."
    )
    assert "wrong one" not in out + err


def test_no_password_and_no_terminal(
    secret: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ZMED_WORKBOOK_PASSWORD", raising=False)
    monkeypatch.setattr(sys, "stdin", io.StringIO(PASSWORD + "\n"))  # piped: never read
    code, _out, err = run(capsys, str(secret))
    assert _one_line(code, err) == (
        "secret.xlsx is protected with a password; set the environment variable "
        "ZMED_WORKBOOK_PASSWORD to its password, or run the command in a terminal to be "
        "asked for it."
    )


@pytest.mark.parametrize("flag", ["--password", "--workbook-password", "-p"])
def test_no_password_option(secret: Path, capsys: pytest.CaptureFixture[str], flag: str) -> None:
    with pytest.raises(SystemExit) as info:
        main(["validate", str(secret), flag, PASSWORD])
    assert info.value.code == 2
    assert "unrecognized arguments" in capsys.readouterr().err
    for action in build_parser()._subparsers._group_actions[0].choices["validate"]._actions:  # type: ignore[union-attr]
        assert not any("pass" in s for s in action.option_strings)


def _pty_run(argv: list[str], answers: list[str], timeout: float = 60) -> tuple[int, str]:
    """Runs ``argv`` with a pseudo-terminal as its controlling terminal, typing each of
    ``answers`` when a password prompt appears; returns (exit status, all it printed)."""
    pid, fd = pty.fork()
    if pid == 0:  # the child: the pty is its stdin, stdout, stderr and /dev/tty
        env = {k: v for k, v in os.environ.items() if k != "ZMED_WORKBOOK_PASSWORD"}
        os.chdir(ROOT)
        os.execve(sys.executable, [sys.executable, *argv], env)
    out = b""
    deadline = time.monotonic() + timeout
    pending = list(answers)
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([fd], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(fd, 4096)
                except OSError:
                    break
                if not chunk:
                    break
                out += chunk
                # getpass turns echo off before it writes the prompt: answer each new one.
                if pending and out.count(b"(not shown):") > len(answers) - len(pending):
                    os.write(fd, pending.pop(0).encode() + b"\n")
        else:
            os.kill(pid, 9)
            raise AssertionError(f"timed out; printed so far: {out!r}")
    finally:
        _, status = os.waitpid(pid, 0)
        os.close(fd)
    return os.waitstatus_to_exitcode(status), out.decode(errors="replace")


@pytest.mark.slow
def test_hidden_prompt_in_a_terminal_asks_again_after_a_wrong_password(secret: Path) -> None:
    code, printed = _pty_run(
        ["-m", "zmed_gui.cli", "validate", str(secret), "--timezone", "UTC"],
        ["wrong one", PASSWORD],
    )
    assert code == 0, printed
    assert printed.count("Password for secret.xlsx (not shown):") == 2
    assert "The password for secret.xlsx is wrong; try again." in printed
    assert "Read 3 rows from secret.xlsx" in printed
    assert PASSWORD not in printed and "wrong one" not in printed  # typed unechoed


@pytest.mark.slow
def test_three_wrong_passwords_stop_with_exit_2(secret: Path) -> None:
    code, printed = _pty_run(
        ["-m", "zmed_gui.cli", "validate", str(secret), "--timezone", "UTC"],
        ["a", "b", "c"],
    )
    assert code == 2, printed
    assert printed.strip().splitlines()[-1] == (
        "zmed-upload: The password for secret.xlsx was wrong 3 times; check it (capital "
        "letters count) and run the command again."
    )


def test_argv_of_a_running_command_holds_no_password(secret: Path, tmp_path: Path) -> None:
    """The environment variable is the non-interactive way: the process list shows only
    the command and the file."""
    env = {**os.environ, "ZMED_WORKBOOK_PASSWORD": PASSWORD}
    proc = subprocess.run(
        [sys.executable, "-m", "zmed_gui.cli", "validate", str(secret), "--timezone", "UTC"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stderr
    assert PASSWORD not in " ".join(proc.args) + proc.stdout + proc.stderr
