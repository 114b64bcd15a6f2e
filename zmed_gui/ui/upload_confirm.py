"""The last look before sending: where to, which meter, how many events, what they add up to.

:func:`last_look` runs in the planning worker (it walks every event once); the dialog
built by :func:`last_look_box` only shows what it found. It is asked before every upload
that is not the demo's; for a production environment the safe answer (Cancel) is the
default button, so Enter never sends to a production tenant.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

from PySide6.QtWidgets import QMessageBox, QWidget

from zmed_gui.core.connections import CUSTOM, ENVIRONMENTS, Connection, Target
from zmed_gui.core.schema import FieldType, Schema
from zmed_gui.core.validate import RowStatus
from zmed_gui.ui.numbers import count, counted

SEND = "send"
REVIEW_WARNINGS = "review"
CANCEL = "cancel"
MAX_IDENTIFIERS = 12  # totals shown; the rest are summed into "others"


@dataclass
class LastLook:
    """What is about to be sent, in figures (built off the GUI thread)."""

    events: int = 0
    totals: dict[str, Decimal] = field(default_factory=dict)  # UsageIdentifier -> Quantity
    quantity_field: str = ""
    identifier_field: str = ""
    first: str = ""  # the earliest and latest event time, as sent
    last: str = ""
    warnings: int = 0  # rows among those sent that have warnings
    left_out: int = 0  # rows the user left out
    invalid: int = 0  # rows not sent because they are invalid
    skipped: int = 0  # already received earlier: not sent again
    refused_before: int = 0  # among those sent: refused by Zuora in an earlier upload


def _field(schema: Schema, name: str, kind: FieldType) -> str:
    if schema.field(name) is not None:
        return name
    return next((f.name for f in schema.fields if f.type is kind), "")


def _moment(value: Any) -> tuple[float, str] | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):  # epoch milliseconds
        try:
            stamp = dt.datetime.fromtimestamp(value / 1000, dt.UTC)
        except (OverflowError, OSError, ValueError):
            return None
        return stamp.timestamp(), stamp.strftime("%Y-%m-%d %H:%M UTC")
    text = str(value)
    try:
        stamp = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    key = (
        stamp.timestamp() if stamp.tzinfo is not None else stamp.replace(tzinfo=dt.UTC).timestamp()
    )
    return key, text


def _range(times: set[Any]) -> tuple[str, str]:
    """The earliest and the latest event time, as sent ("" when none can be read).

    ISO texts are parsed in one go (``map`` over ``fromisoformat``, no Python call per
    value) and compared as moments; numbers are epoch milliseconds. Anything else falls
    back to one value at a time.
    """
    texts = [t for t in times if type(t) is str]
    numbers = [t for t in times if type(t) is int or type(t) is float]
    found: list[tuple[float, str]] = []
    if texts:
        try:
            stamps = list(map(dt.datetime.fromisoformat, texts))
            lo, hi = min(stamps), max(stamps)  # TypeError: zoned and unzoned mixed
            found += [(lo.timestamp(), texts[stamps.index(lo)])]
            found += [(hi.timestamp(), texts[stamps.index(hi)])]
        except (ValueError, TypeError):
            found += [m for m in map(_moment, texts) if m is not None]
    if numbers:
        found += [m for m in map(_moment, (min(numbers), max(numbers))) if m is not None]
    if not found:
        return "", ""
    return min(found)[1], max(found)[1]


def last_look(
    items: Iterable[Any], statuses: list[RowStatus], schema: Schema, *, excluded: int,
    invalid: int, skipped: int = 0,
) -> LastLook:  # fmt: skip
    """Totals of Quantity per UsageIdentifier, the time range and the rows with warnings.

    One pass; whole numbers are summed exactly, fractions with ``math.fsum`` (correctly
    rounded), so 300,000 events cost about what making them did (bench_upload_look.py).
    """
    look = LastLook(left_out=excluded, invalid=invalid, skipped=skipped)
    qty = look.quantity_field = _field(schema, "Quantity", FieldType.NUMBER)
    ident = look.identifier_field = _field(schema, "UsageIdentifier", FieldType.STRING)
    when = _field(schema, "UsageDate", FieldType.DATETIME)
    whole: dict[str, int] = {}
    parts: dict[str, list[float]] = {}
    times: set[Any] = set()
    warning = RowStatus.WARNING
    n_status = len(statuses)
    events = 0
    warnings = 0
    for item in items:
        events += 1
        event = item.event
        if item.row < n_status and statuses[item.row] is warning:
            warnings += 1
        if qty:
            amount = event.get(qty)
            key = str(event.get(ident, "")) if ident else ""
            if type(amount) is int:
                whole[key] = whole.get(key, 0) + amount
            elif type(amount) is float and math.isfinite(amount):
                parts.setdefault(key, []).append(amount)
            elif amount is not None and not isinstance(amount, bool):
                try:
                    parts.setdefault(key, []).append(float(str(amount)))
                except ValueError:
                    pass
        if when:
            times.add(event.get(when))  # usually far fewer distinct times than events
    look.events, look.warnings = events, warnings
    totals: dict[str, Decimal] = {}
    for key in whole.keys() | parts.keys():
        total = Decimal(whole.get(key, 0))
        if key in parts:
            total += Decimal(repr(math.fsum(parts[key])))
        totals[key] = total
    look.totals = dict(sorted(totals.items(), key=lambda kv: (-abs(kv[1]), kv[0])))
    look.first, look.last = _range(times)
    return look


def is_production(conn: Connection) -> bool:
    """A production environment, or a custom address that is not known to be a sandbox."""
    env = ENVIRONMENTS.get(conn.environment)
    if env is not None:
        return env.limits_preset == "production"
    if conn.environment == CUSTOM:
        host = (urlsplit(conn.base_url).hostname or "").lower()
        return host not in ("127.0.0.1", "localhost", "::1") and not any(
            word in host for word in ("sandbox", "test")
        )
    return True


def environment_words(conn: Connection) -> str:
    env = ENVIRONMENTS.get(conn.environment)
    host = urlsplit(conn.base_url).hostname or conn.base_url
    label = env.label if env is not None else "Custom address"
    text = f"{label} ({host})"
    if conn.entity_ids.strip():
        text += f", entity {conn.entity_ids.strip()}"
    return text


def meter_words(target: Target, conn: Connection, schema: Schema) -> str:
    parts = []
    if schema.name:
        parts.append(f"“{schema.name}”")
    if conn.meter_number.strip():
        parts.append(f"meter number {conn.meter_number.strip()}")
    parts.append(f"upload ID {target.meter_id}")
    return ", ".join(parts)


def _amount(x: Decimal) -> str:
    text = f"{x:,.6f}".rstrip("0").rstrip(".")
    return text


def look_text(look: LastLook, conn: Connection, target: Target, schema: Schema) -> str:
    """The dialog's text (HTML-free, one fact a line)."""
    lines = [
        f"Environment: {environment_words(conn)}",
        f"Connection: {conn.name}",
        f"Meter: {meter_words(target, conn, schema)}",
        f"Events to send: {count(look.events)}",
    ]
    if look.refused_before:
        one = look.refused_before == 1
        lines.append(
            f"    of which {count(look.refused_before)} {'was' if one else 'were'} refused "
            f"before and {'goes' if one else 'go'} again unchanged"
        )
    if look.first:
        span = look.first if look.first == look.last else f"{look.first} to {look.last}"
        lines.append(f"Usage dates: {span}")
    if look.totals:
        lines.append(f"Total {look.quantity_field or 'quantity'}:")
        shown = list(look.totals.items())
        for key, total in shown[:MAX_IDENTIFIERS]:
            lines.append(f"    {key or '(none)'}: {_amount(total)}")
        if len(shown) > MAX_IDENTIFIERS:
            rest = sum((t for _k, t in shown[MAX_IDENTIFIERS:]), Decimal(0))
            others = counted(len(shown) - MAX_IDENTIFIERS, "other")
            lines.append(f"    {others}: {_amount(rest)}")
    if look.warnings:
        lines.append(
            f"{counted(look.warnings, 'row')} with warnings will be sent as they are "
            "(review them first if you are not sure)."
        )
    else:
        lines.append("No row to send has a warning.")
    kept_back = []
    if look.left_out:
        kept_back.append(f"{counted(look.left_out, 'row')} you left out")
    if look.invalid:
        kept_back.append(f"{counted(look.invalid, 'invalid row')}")
    if look.skipped:
        kept_back.append(f"{counted(look.skipped, 'event')} already received earlier")
    if kept_back:
        lines.append("Not sent: " + "; ".join(kept_back) + ".")
    return "\n".join(lines)


def last_look_box(
    parent: QWidget | None, look: LastLook, conn: Connection, target: Target, schema: Schema
) -> QMessageBox:
    """The question; buttons carry ``choice`` (:data:`SEND`, :data:`REVIEW_WARNINGS`,
    :data:`CANCEL`). For production, Cancel is the default button."""
    production = is_production(conn)
    box = QMessageBox(parent)
    box.setWindowTitle("Send to a production tenant?" if production else "Ready to send")
    box.setIcon(QMessageBox.Icon.Warning if production else QMessageBox.Icon.Question)
    box.setText(
        ("This goes to a PRODUCTION tenant: your customers may be billed for it.\n\n"
         if production else "")
        + look_text(look, conn, target, schema)
    )  # fmt: skip
    send = box.addButton(f"Send {counted(look.events, 'event')}", QMessageBox.ButtonRole.AcceptRole)
    send.setProperty("choice", SEND)
    if look.warnings:
        review = box.addButton(
            f"Review the {counted(look.warnings, 'row')} with warnings",
            QMessageBox.ButtonRole.ActionRole,
        )
        review.setProperty("choice", REVIEW_WARNINGS)
    cancel = box.addButton(QMessageBox.StandardButton.Cancel)
    cancel.setProperty("choice", CANCEL)
    box.setDefaultButton(cancel if production else send)
    box.setEscapeButton(cancel)
    box.setAccessibleName("Last look before sending")
    return box


def look_choice(box: QMessageBox) -> str:
    button = box.clickedButton()
    value = button.property("choice") if button is not None else None
    return value if value in (SEND, REVIEW_WARNINGS) else CANCEL
