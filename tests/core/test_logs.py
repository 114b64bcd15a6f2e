"""The log file: where it is, that it rotates once, and that no secret reaches it."""

from __future__ import annotations

import json
import logging
import logging.handlers
from collections.abc import Iterator
from pathlib import Path

import pytest

from zmed_gui.core.logs import (
    add_secret,
    log_file_path,
    read_log_tail,
    redact,
    setup_logging,
    shutdown_logging,
)

TOKEN = "eyJhbGciOiJIUzI1NiJ9.c2VjcmV0LXBheWxvYWQ.Zm9vYmFy-_~+/x="
SECRET = "s3cr3t-Cl!ent-Value"

log = logging.getLogger("zmed_gui.tests.logs")


@pytest.fixture(autouse=True)
def _clean_logging() -> Iterator[None]:
    yield
    shutdown_logging()


def _ours() -> list[logging.Handler]:
    return [h for h in logging.getLogger().handlers if getattr(h, "_zmed_gui_handler", False)]


def _log_text() -> str:
    for h in _ours():
        h.flush()
    return log_file_path().read_text(encoding="utf-8")


def test_setup_returns_the_file_in_the_user_log_dir() -> None:
    path = setup_logging()
    assert path == log_file_path()
    assert path.name == "zmed-gui.log"
    log.info("hello from the test")
    assert "hello from the test" in _log_text()
    rotating = [h for h in _ours() if isinstance(h, logging.handlers.RotatingFileHandler)]
    assert rotating[0].maxBytes == 1_000_000 and rotating[0].backupCount == 5


def test_setup_twice_adds_no_second_handler() -> None:
    setup_logging()
    setup_logging(logging.DEBUG)
    assert len(_ours()) == 1
    setup_logging(console=True)
    setup_logging(console=True)
    assert len(_ours()) == 2
    log.warning("once")
    assert _log_text().count("once") == 1


@pytest.mark.parametrize(
    "message",
    [
        f"POST /meters with Authorization: Bearer {TOKEN}",
        f"headers={{'Authorization': 'Bearer {TOKEN}', 'Accept': 'application/json'}}",
        f"curl -H 'authorization: bearer {TOKEN}'",
        f"Authorization: Basic {TOKEN}",
        f"body: client_id=abc&client_secret={SECRET}&grant_type=client_credentials",
        f'body: {{"client_id": "abc", "client_secret": "{SECRET}"}}',
        f"kwargs: {{'client_secret': '{SECRET}'}}",
        f'token response: {{"access_token": "{TOKEN}", "token_type": "bearer"}}',
        f"redirect to https://x.example/cb?access_token={TOKEN}&state=1",
    ],
)
def test_every_form_of_secret_is_redacted(message: str) -> None:
    setup_logging()
    log.info(message)
    text = _log_text()
    assert TOKEN not in text and SECRET not in text
    assert "***" in text


def test_redaction_keeps_the_useful_rest() -> None:
    text = redact(f'{{"access_token": "{TOKEN}", "token_type": "bearer", "expires_in": 3599}}')
    assert text == '{"access_token": "***", "token_type": "bearer", "expires_in": 3599}'
    assert redact(f"client_id=abc&client_secret={SECRET}&x=1") == (
        "client_id=abc&client_secret=***&x=1"
    )
    assert redact(f"Authorization: Bearer {TOKEN}") == "Authorization: Bearer ***"


def test_arguments_are_redacted_too() -> None:
    setup_logging()
    log.info("sending %s to %s", {"Authorization": f"Bearer {TOKEN}"}, "zuora")
    text = _log_text()
    assert TOKEN not in text and "zuora" in text


def test_exception_text_is_redacted() -> None:
    setup_logging()
    try:
        raise RuntimeError(
            f"401 for Authorization: Bearer {TOKEN} with "
            f'{{"client_secret": "{SECRET}"}} and client_secret={SECRET}'
        )
    except RuntimeError:
        log.exception("upload failed")
    text = _log_text()
    assert "upload failed" in text and "RuntimeError" in text and "Traceback" in text
    assert TOKEN not in text and SECRET not in text


def test_registered_secret_is_redacted_anywhere() -> None:
    setup_logging()
    odd = "plain-looking-value-42"
    add_secret(odd)
    log.error("something mentioned %s in passing", odd)
    assert odd not in _log_text()


def test_records_from_other_libraries_are_redacted() -> None:
    setup_logging()
    logging.getLogger("httpx").warning("Authorization: Bearer %s", TOKEN)
    assert TOKEN not in _log_text()


def test_read_log_tail_returns_whole_lines_from_the_end() -> None:
    assert read_log_tail() == ""
    setup_logging()
    for i in range(2000):
        log.info("line %04d %s", i, "x" * 40)
    tail = read_log_tail(max_bytes=5_000)
    lines = tail.splitlines()
    assert 0 < len(tail.encode()) <= 5_000
    assert lines[-1].endswith("line 1999 " + "x" * 40)
    assert all(" line " in line for line in lines)  # no cut first line


def test_log_file_is_not_json_of_secrets_even_when_debugging() -> None:
    setup_logging(logging.DEBUG)
    log.debug("payload %s", json.dumps({"password": SECRET, "user": "ann"}))
    text = _log_text()
    assert SECRET not in text and "ann" in text


def test_log_file_follows_a_new_log_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = setup_logging()
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "elsewhere"))
    second = setup_logging()
    assert second != first and second.is_relative_to(tmp_path / "elsewhere")
    assert len(_ours()) == 1
    log.info("after the move")
    assert "after the move" in second.read_text(encoding="utf-8")
