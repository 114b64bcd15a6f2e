"""``zmed-upload emulator``: run the local Zuora Mediation stand-in until Ctrl+C."""

from __future__ import annotations

import argparse
import logging
import os
import re
import signal
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from types import FrameType
from typing import Any

from zmed_gui.core.errors import OptionsError, ZmedError
from zmed_gui.core.schema import load_schema
from zmed_gui.emulator import (
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    DEMO_METER_ID,
    Emulator,
    EmulatorConfig,
    FaultPlan,
    demo_schema,
)

_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_FAULT_HELP = (
    "inject faults, e.g. 'seed=7,500=0.05,502=0.02,503=0.02:5,429=0.03,drop-before=0.02,"
    "drop-after=0.02,slow=0.05:1.5,token-expiry=0.01,call3=503'"
)


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"'{text}' must be at least 1")
    return value


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a port number") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"'{text}' is not between 0 and 65535")
    return value


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the emulator's options to ``parser``."""
    parser.add_argument(
        "--port", type=_port, default=0, help="port to listen on (default: any free port)"
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--faults", metavar="SPEC", help=_FAULT_HELP)
    parser.add_argument(
        "--schema", type=Path, metavar="FILE", help="the meter's event schema (JSON)"
    )
    parser.add_argument(
        "--meter", metavar="ID", default=DEMO_METER_ID, help="the meter's ID (default: demo)"
    )
    parser.add_argument("--client-id", default=DEMO_CLIENT_ID, help="the OAuth client ID")
    parser.add_argument(
        "--client-secret-env",
        metavar="VAR",
        help="read the client secret from this environment variable (default: the demo secret)",
    )
    parser.add_argument(
        "--calls-per-minute", type=_positive, metavar="N", help="answer 429 above N calls"
    )
    parser.add_argument(
        "--max-concurrent",
        type=_positive,
        metavar="N",
        help="answer 429 when more than N upload calls run at once (Zuora's default: 40)",
    )
    parser.add_argument(
        "--max-events", type=_positive, default=10_000, metavar="N", help="events per call"
    )
    parser.add_argument(
        "--max-payload-bytes",
        type=_positive,
        default=4_000_000,
        metavar="N",
        help="bytes per call, counted after gzip decompression",
    )
    parser.add_argument(
        "--record", type=Path, metavar="FILE", help="append accepted events to FILE as NDJSON"
    )
    parser.add_argument(
        "--log-requests", action="store_true", help="print one line per request to stderr"
    )
    parser.set_defaults(func=run)


def add_parser(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the ``emulator`` sub-command."""
    parser = subparsers.add_parser(
        "emulator",
        allow_abbrev=False,  # --client-secret must not pass as --client-secret-env
        help="run a local Zuora Mediation emulator (demo mode, testing)",
        description="Run a local stand-in for Zuora Mediation's usage ingestion API: "
        "OAuth tokens, both upload paths, schema checks, limits and injected faults. "
        "Serves until Ctrl+C.",
    )
    configure(parser)


def build_config(args: argparse.Namespace) -> EmulatorConfig:
    """The emulator settings the options ask for; raises OptionsError with a sentence."""
    meter = str(args.meter).strip()
    if not meter or "/" in meter or "?" in meter:
        raise OptionsError(f"The meter ID '{args.meter}' cannot be used in a URL path.")
    schema = load_schema(args.schema) if args.schema is not None else demo_schema()
    secret = DEMO_CLIENT_SECRET
    if args.client_secret_env:
        if not _ENV_NAME.fullmatch(args.client_secret_env):
            # Do not echo it: someone may have typed the secret itself here.
            raise OptionsError(
                "--client-secret-env takes the name of an environment variable (letters, "
                "digits, _), not the secret itself."
            )
        value = os.environ.get(args.client_secret_env)
        if not value:
            raise OptionsError(
                f"The environment variable {args.client_secret_env} is not set; set it to "
                "the client secret the emulator should accept."
            )
        secret = value
    return EmulatorConfig(
        client_id=args.client_id,
        client_secret=secret,
        meters={meter: schema},
        max_events_per_call=args.max_events,
        max_payload_bytes=args.max_payload_bytes,
        calls_per_minute=args.calls_per_minute,
        max_concurrent_calls=args.max_concurrent,
        faults=FaultPlan.parse(args.faults) if args.faults else None,
        record_path=args.record,
    )


def run(args: argparse.Namespace) -> int:
    """Serve until Ctrl+C (or SIGTERM); returns 0. Raises ZmedError for unusable options."""
    config = build_config(args)
    meter = next(iter(config.meters))
    emu = Emulator(config, host=args.host, port=args.port)
    try:
        emu.start()
    except OSError as exc:
        raise OptionsError(
            f"The emulator cannot listen on {args.host} port {args.port} "
            f"({exc.strerror or exc}); choose another --port."
        ) from None
    handler: logging.Handler | None = None
    emu_log = logging.getLogger("zmed_gui.emulator")
    if args.log_requests:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(message)s"))
        emu_log.addHandler(handler)
        emu_log.setLevel(logging.DEBUG)
    secret_note = (
        f"from ${args.client_secret_env}"
        if args.client_secret_env
        else f"{DEMO_CLIENT_SECRET} (the demo secret)"
    )
    lines = [
        "Zuora Mediation emulator",
        f"base URL:      {emu.base_url}",
        f"token URL:     {emu.token_url}",
        f"upload URL:    {emu.upload_url(meter)}",
        f"bulk URL:      {emu.upload_url(meter, style='bulk')}",
        f"meter ID:      {meter}" + (" (demo meter)" if meter == DEMO_METER_ID else ""),
        f"client ID:     {config.client_id}",
        f"client secret: {secret_note}",
        f"faults:        {config.faults.spec() if config.faults else 'none'}",
        f"record:        {config.record_path or 'off'}",
        "Serving until Ctrl+C.",
    ]
    stop = threading.Event()
    previous = _on_sigterm(stop)  # before the banner: a caller may signal right after it
    print("\n".join(lines), flush=True)
    try:
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        _restore_sigterm(previous)
        stats = emu.stats()
        emu.stop()
        if handler is not None:
            emu_log.removeHandler(handler)
    print(
        f"Stopped: {stats['calls']} upload calls, {stats['accepted_events']} events accepted, "
        f"{stats['rejected_calls']} calls refused, {stats['dropped_calls']} dropped.",
        flush=True,
    )
    return 0


def _on_sigterm(stop: threading.Event) -> Any:
    if threading.current_thread() is not threading.main_thread():
        return None

    def handle(signum: int, frame: FrameType | None) -> None:
        stop.set()

    return signal.signal(signal.SIGTERM, handle)


def _restore_sigterm(previous: Any) -> None:
    if previous is not None:
        signal.signal(signal.SIGTERM, previous)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m zmed_gui.cli.emulator_cmd``: the sub-command on its own."""
    parser = argparse.ArgumentParser(prog="zmed-upload emulator", allow_abbrev=False)
    configure(parser)
    args = parser.parse_args(argv)
    try:
        return run(args)
    except ZmedError as exc:
        print(f"zmed-upload emulator: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
