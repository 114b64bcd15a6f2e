"""`zmed-upload validate` loads only what validating needs: not the upload engine, the
journal, httpx or openpyxl (a fresh interpreter, so other tests' imports do not count)."""

from __future__ import annotations

import subprocess
import sys

HEAVY = ["httpx", "openpyxl", "zmed_gui.core.upload", "zmed_gui.core.journal"]

CHECK = f"""
import sys
from zmed_gui.cli import build_parser
args = build_parser(["validate", "usage.xlsx", "--events-out", "e.ndjson"]).parse_args(
    ["validate", "usage.xlsx", "--events-out", "e.ndjson"]
)
assert args.command == "validate"
print(sorted(m for m in {HEAVY!r} if m in sys.modules))
"""


def test_validate_loads_neither_the_upload_engine_nor_openpyxl() -> None:
    out = subprocess.run(
        [sys.executable, "-c", CHECK], capture_output=True, text=True, check=True, timeout=120
    )
    assert out.stdout.strip() == "[]", out.stdout + out.stderr


def test_every_command_is_still_there_without_a_command_line() -> None:
    from zmed_gui.cli import COMMANDS, build_parser

    sub = build_parser()._subparsers._group_actions[0]  # type: ignore[union-attr]
    assert list(sub.choices) == list(COMMANDS)  # type: ignore[attr-defined]


SEND_CHECK = """
import sys
from zmed_gui.cli import build_parser
import zmed_gui.core.upload
build_parser(["send", "usage.csv"])
print(sorted(m for m in ("openpyxl", "keyring") if m in sys.modules))
"""


def test_send_loads_openpyxl_and_keyring_only_when_used() -> None:
    # send of a CSV without --report and with the secret in the environment needs neither
    # (openpyxl and keyring are about a fifth of a second of every start)
    out = subprocess.run(
        [sys.executable, "-c", SEND_CHECK], capture_output=True, text=True, check=True, timeout=120
    )
    assert out.stdout.strip() == "[]", out.stdout + out.stderr
    from zmed_gui.core.report import write_report

    assert callable(write_report)
