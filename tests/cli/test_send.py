"""`zmed-upload send` and `history` end to end against the emulator (in-process)."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import MemoryKeyring
from tests.core._upload_helpers import received_ids
from zmed_gui.cli import main
from zmed_gui.core.connections import CUSTOM, NO_KEYRING, Connection, save_connection
from zmed_gui.core.journal import Journal
from zmed_gui.emulator import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_METER_ID, Emulator


@pytest.fixture
def emu() -> Iterator[Emulator]:
    with Emulator() as e:
        yield e


@pytest.fixture
def secret_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZMED_CLIENT_SECRET", DEMO_CLIENT_SECRET)


def write_csv(path: Path, n: int, bad_rows: tuple[int, ...] = ()) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["CustomerId", "UsageIdentifier", "UsageDate", "Quantity"])
        for i in range(n):
            qty: object = "" if i in bad_rows else i
            w.writerow([f"C{i:05d}", "api-calls", "2026-11-01T10:00:00Z", qty])
    return path


def target_args(emu: Emulator) -> list[str]:
    return ["--base-url", emu.base_url, "--meter", DEMO_METER_ID, "--client-id", DEMO_CLIENT_ID]


@pytest.mark.usefixtures("secret_env")
def test_send_all_then_rerun_skips_duplicates(
    emu: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = write_csv(tmp_path / "usage.csv", 1200)
    code = main(["send", str(data), *target_args(emu), "--batch-size", "500"])
    out, err = capsys.readouterr()
    assert code == 0, out + err
    assert "received by Zuora: 1,200" in out and "upload id: " in out and "track id: zmed-" in out
    assert emu.stats()["calls"] == 3 and len(received_ids(emu)) == 1200
    code = main(["send", str(data), *target_args(emu)])
    out, err = capsys.readouterr()
    assert code == 0, out + err
    assert "duplicates skipped: 1,200" in out and "received by Zuora: 0" in out
    assert emu.stats()["calls"] == 3  # nothing sent twice
    assert main(["history"]) == 0
    out, _ = capsys.readouterr()
    assert out.count("completed") == 2 and "usage.csv" in out


@pytest.mark.usefixtures("secret_env")
def test_invalid_rows_not_sent_and_reported(
    emu: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = write_csv(tmp_path / "usage.csv", 50, bad_rows=(3, 7))
    report = tmp_path / "report.csv"
    code = main(["send", str(data), *target_args(emu), "--report", str(report)])
    out, err = capsys.readouterr()
    assert code == 1, out + err
    assert "invalid: 2" in out and "received by Zuora: 48" in out
    assert "C00003" not in received_ids(emu) and len(received_ids(emu)) == 48
    rows = list(csv.DictReader(report.open(encoding="utf-8-sig")))
    by_row = {r["Row"]: r for r in rows}
    assert by_row["5"]["Upload status"] == "not sent"  # data row 3 is Excel row 5
    assert by_row["2"]["Upload status"] == "accepted" and by_row["2"]["Zuora-Request-Id"]


@pytest.mark.usefixtures("secret_env")
def test_upload_url_track_id_no_gzip_and_dry_run(
    emu: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = write_csv(tmp_path / "usage.csv", 30)
    url = emu.upload_url(DEMO_METER_ID, "bulk")
    assert main(["send", str(data), "--upload-url", url, "--dry-run"]) == 0
    out, _ = capsys.readouterr()
    assert "Dry run (nothing sent)" in out and emu.stats()["calls"] == 0
    code = main(
        ["send", str(data), "--upload-url", url, "--client-id", DEMO_CLIENT_ID,
         "--track-id", "march-run", "--no-gzip", "--concurrency", "1"]
    )  # fmt: skip
    assert code == 0
    stats = emu.stats()
    assert stats["track_ids"] == ["march-run"] and stats["gzip_requests"] == 0


def test_saved_connection_uses_keyring_secret(
    emu: Emulator,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    memory_keyring: MemoryKeyring,
) -> None:
    save_connection(
        Connection(
            name="Emu", environment=CUSTOM, custom_base_url=emu.base_url,
            client_id=DEMO_CLIENT_ID, meter_id=DEMO_METER_ID,
        ),
        secret=DEMO_CLIENT_SECRET,
    )  # fmt: skip
    data = write_csv(tmp_path / "usage.csv", 20)
    assert main(["send", str(data), "--connection", "Emu"]) == 0
    out, err = capsys.readouterr()
    assert "received by Zuora: 20" in out
    assert DEMO_CLIENT_SECRET not in out + err


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--meter", DEMO_METER_ID], "Say where the meter is"),
        (["--base-url", "http://example.com", "--meter", DEMO_METER_ID], "plain http"),
        (["--upload-url", "https://rest.zuora.com/v1/x"], "not an upload URL"),
        (["--connection", "Nope", "--meter", DEMO_METER_ID], "no saved connection called 'Nope'"),
    ],
)
def test_option_problems_exit_2_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], expected: str
) -> None:
    data = write_csv(tmp_path / "usage.csv", 3)
    assert main(["send", str(data), *args]) == 2
    _, err = capsys.readouterr()
    lines = err.strip().splitlines()
    assert len(lines) == 1 and expected in lines[0] and lines[0].startswith("zmed-upload: ")


def test_more_option_problems(
    emu: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    data = write_csv(tmp_path / "usage.csv", 3)
    base = ["send", str(data), *target_args(emu)]
    # no secret: not in the keyring, not in the environment, no terminal to ask
    assert main(base) == 2
    assert "set ZMED_CLIENT_SECRET" in capsys.readouterr().err
    monkeypatch.setenv("ZMED_CLIENT_SECRET", "wrong-secret")
    assert main(base) == 2
    err = capsys.readouterr().err
    assert "Zuora refused the client ID and secret" in err and "wrong-secret" not in err
    monkeypatch.setenv("ZMED_CLIENT_SECRET", DEMO_CLIENT_SECRET)
    for extra, words in (
        (["--concurrency", "41"], "between 1 and 40"),
        (["--track-id", "a;b"], "track ID"),
        (["--batch-size", "0"], "at least 1"),
        (["--resume", "nope"], "no upload nope"),
        (["--report", str(tmp_path / "no" / "r.csv")], "does not exist"),
    ):
        assert main([*base, *extra]) == 2, extra
        assert words in capsys.readouterr().err
    wrong = ["send", str(data), "--base-url", emu.base_url, "--meter", "f" * 32,
             "--client-id", DEMO_CLIENT_ID]  # fmt: skip
    assert main(wrong) == 2
    assert "found no meter" in capsys.readouterr().err


def test_secret_is_never_an_argument(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["send", "x.csv", "--client-secret", "s"])
    assert info.value.code == 2
    capsys.readouterr()


@pytest.mark.usefixtures("no_keyring")
def test_no_keyring_with_connection_name(
    emu: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    save_connection(
        Connection(name="Emu", environment=CUSTOM, custom_base_url=emu.base_url,
                   client_id=DEMO_CLIENT_ID, meter_id=DEMO_METER_ID)
    )  # fmt: skip
    data = write_csv(tmp_path / "usage.csv", 3)
    assert main(["send", str(data), "--connection", "Emu"]) == 2
    assert capsys.readouterr().err.strip() == (
        f"zmed-upload: {NO_KEYRING} Or, for the command line, set ZMED_CLIENT_SECRET."
    )


@pytest.mark.usefixtures("secret_env")
def test_server_errors_are_retried(
    emu: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from zmed_gui.emulator import FaultPlan

    data = write_csv(tmp_path / "usage.csv", 100)
    emu.config.faults = FaultPlan.parse("call4=500,call5=502,call6=503")
    emu.reset()
    code = main(["send", str(data), *target_args(emu), "--batch-size", "10", "--concurrency", "1"])
    out, err = capsys.readouterr()
    assert code == 0, out + err
    assert "retries: 3" in out and "received by Zuora: 100" in out
    assert max(received_ids(emu).values()) == 1
    with Journal() as j:
        assert len(j.list_uploads()) == 1


@pytest.mark.usefixtures("secret_env")
def test_secret_and_token_not_in_output_report_log_or_journal(
    emu: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from zmed_gui.core.paths import default_journal_path, user_log_dir

    data = write_csv(tmp_path / "usage.csv", 40, bad_rows=(1,))
    report = tmp_path / "report.xlsx"
    emu.expire_tokens()
    code = main(["-v", "send", str(data), *target_args(emu), "--report", str(report)])
    out, err = capsys.readouterr()
    assert code == 1
    tokens = list(emu._state._tokens)  # every token the emulator issued
    assert tokens
    blobs = {
        "output": (out + err).encode(),
        "report": report.read_bytes(),
        "log": b"".join(p.read_bytes() for p in user_log_dir().glob("*.log*")),
        "journal": b"".join(
            p.read_bytes() for p in default_journal_path().parent.glob("journal.sqlite3*")
        ),
    }
    assert blobs["log"]  # the log was written
    for name, blob in blobs.items():
        for secret in (DEMO_CLIENT_SECRET, *tokens):
            assert secret.encode() not in blob, name
