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

from zmed_gui.cli.exitcodes import ExitCode
from zmed_gui.core.errors import OptionsError, ZmedError
from zmed_gui.core.schema import load_schema
from zmed_gui.emulator import (
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    DEMO_METER_ID,
    DEMO_METER_NUMBER,
    Emulator,
    EmulatorConfig,
    FaultPlan,
    PostReceiptRule,
    demo_rules,
    demo_schema,
)

_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_FAULT_HELP = (
    "inject faults, e.g. 'seed=7,500=0.05,502=0.02,503=0.02:5,429=0.03,drop-before=0.02,"
    "drop-after=0.02,slow=0.05:1.5,token-expiry=0.01,403=0.01,504=0.01:kept,200-false=0.01,"
    "call3=503'"
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


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number of seconds") from None
    if not 0.0 <= value <= 3600.0:
        raise argparse.ArgumentTypeError(f"'{text}' is not between 0 and 3600")
    return value


def _modes(parser: argparse.ArgumentParser) -> None:
    """The options that make the emulator less convenient, as Zuora can be."""
    group = parser.add_argument_group("modes (each off by default)")
    group.add_argument(
        "--demo",
        action="store_true",
        help="the app's demo tenant: the demo meter, with a couple of sample rows "
        "rejected after receipt (see the audit trail)",
    )
    group.add_argument(
        "--paths",
        choices=("both", "bulk", "streaming"),
        default="both",
        help="which upload path answers; the other is an unknown route (404)",
    )
    group.add_argument(
        "--rate-limit-headers",
        choices=("retry-after", "ratelimit"),
        default="retry-after",
        help="429s with Retry-After, or only Zuora's ratelimit-limit/-remaining/-reset",
    )
    group.add_argument(
        "--calls-per-hour", type=_positive, metavar="N", help="answer 429 above N calls an hour"
    )
    group.add_argument(
        "--error-shape",
        choices=("emulator", "reasons", "errors"),
        default="emulator",
        help="refusals with event indexes (emulator), or Zuora's shapes without: "
        "v1 'reasons' or Meters 'errors'",
    )
    group.add_argument(
        "--require-field",
        metavar="NAME",
        help="every meter also requires this field (a field no event has refuses all)",
    )
    group.add_argument(
        "--schema-check",
        choices=("on-receipt", "after-receipt"),
        default="on-receipt",
        help="after-receipt: answer 200 to well-formed JSON, reject bad events afterwards "
        "into the audit trail",
    )
    group.add_argument(
        "--reject-after-receipt",
        action="append",
        metavar="FIELD=VALUE|FIELD~REGEX",
        help="after receipt, reject events whose FIELD has this value (repeatable)",
    )
    group.add_argument(
        "--audit-delay",
        type=_seconds,
        default=0.0,
        metavar="SECONDS",
        help="how long before a rejection shows in the audit trail",
    )
    group.add_argument(
        "--forbidden",
        choices=("permission", "not-enabled"),
        help="answer 403 to every Mediation call (missing permission, or Mediation off)",
    )
    group.add_argument(
        "--gateway-timeout",
        choices=("kept", "lost"),
        default="kept",
        help="whether an injected 504 comes after the events were kept (default) or before",
    )


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
    parser.add_argument(
        "--meter-number",
        type=_positive,
        metavar="N",
        help="the meter's numeric ID for the audit trail and export "
        f"(default: {DEMO_METER_NUMBER} for the demo meter)",
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
    _modes(parser)
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
    if args.demo and (meter != DEMO_METER_ID or args.schema is not None):
        raise OptionsError("--demo serves the demo meter; leave out --meter and --schema.")
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
    rules = list(demo_rules()) if args.demo else []
    for spec in args.reject_after_receipt or []:
        try:
            rules.append(PostReceiptRule.parse(spec))
        except ValueError as exc:
            raise OptionsError(str(exc)) from None
    number = args.meter_number
    if number is None and meter == DEMO_METER_ID:
        number = DEMO_METER_NUMBER
    return EmulatorConfig(
        client_id=args.client_id,
        client_secret=secret,
        meters={meter: schema},
        meter_numbers={meter: number} if number is not None else {},
        max_events_per_call=args.max_events,
        max_payload_bytes=args.max_payload_bytes,
        calls_per_minute=args.calls_per_minute,
        max_concurrent_calls=args.max_concurrent,
        faults=FaultPlan.parse(args.faults) if args.faults else None,
        record_path=args.record,
        ingestion_paths=args.paths,
        rate_limit_headers=args.rate_limit_headers,
        calls_per_hour=args.calls_per_hour,
        error_shape=args.error_shape,
        require_field=args.require_field or None,
        schema_check=args.schema_check,
        post_receipt_rules=rules,
        audit_delay=args.audit_delay,
        forbidden=args.forbidden,
        gateway_timeout_keeps_events=args.gateway_timeout == "kept",
    )


def _mode_summary(config: EmulatorConfig) -> str:
    """The modes that are on, in a few words ("none" for the defaults)."""
    defaults = EmulatorConfig()
    names = [
        "ingestion_paths",
        "rate_limit_headers",
        "error_shape",
        "require_field",
        "schema_check",
        "audit_delay",
        "forbidden",
        "gateway_timeout_keeps_events",
    ]
    parts = [
        f"{name}={getattr(config, name)}"
        for name in names
        if getattr(config, name) != getattr(defaults, name)
    ]
    parts += [f"reject {rule.spec()}" for rule in config.post_receipt_rules]
    return ", ".join(parts) or "none"


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
    upload_style = "bulk" if config.ingestion_paths == "bulk" else "streaming"
    bulk_url = emu.upload_url(meter, style="bulk")
    if config.ingestion_paths == "streaming":
        bulk_url = "off (--paths streaming)"
    lines = [
        "Zuora Mediation emulator",
        f"base URL:      {emu.base_url}",
        f"token URL:     {emu.token_url}",
        f"upload URL:    {emu.upload_url(meter, style=upload_style)}",
        f"bulk URL:      {bulk_url}",
        f"meter ID:      {meter}" + (" (demo meter)" if meter == DEMO_METER_ID else ""),
        f"meter number:  {emu.meter_number(meter)}",
        f"audit URL:     {emu.audit_url(meter)}",
        f"export URL:    {emu.export_url(meter)}",
        f"client ID:     {config.client_id}",
        f"client secret: {secret_note}",
        f"faults:        {config.faults.spec() if config.faults else 'none'}",
        f"record:        {config.record_path or 'off'}",
        f"modes:         {_mode_summary(config)}",
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
        f"{stats['rejected_after_receipt']} rejected after receipt, "
        f"{stats['rejected_calls']} calls refused, {stats['dropped_calls']} dropped.",
        flush=True,
    )
    return ExitCode.OK


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
        return ExitCode.USAGE


if __name__ == "__main__":
    sys.exit(main())
