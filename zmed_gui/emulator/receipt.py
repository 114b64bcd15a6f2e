"""What Mediation does with events after it has answered 200: keep them or reject them.

Zuora's streaming source answers 200 after basic checks; schema validation and the
meter's own processing happen afterwards, and what fails lands in the meter's audit
trail instead of in the answer. :func:`sort_after_receipt` splits a received call into
the events kept and the events rejected, each rejection with its error code and message.
"""

from __future__ import annotations

import dataclasses
import json
import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from zmed_gui.core.schema import FieldType, Schema, SchemaField
from zmed_gui.emulator.validation import validate_events

STREAM_API_VALIDATION = "70000000"  # Zuora's code for events that fail the meter's schema
_INDEX_PREFIX = re.compile(r"event \d+: ")


def without_index(message: str) -> str:
    """A validation message with its ``event N:`` prefix taken off."""
    return _INDEX_PREFIX.sub("", message, count=1)


def text_of(value: Any) -> str:
    """How a rule sees a value: strings as they are, anything else as JSON text."""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


@dataclass(frozen=True)
class PostReceiptRule:
    """Reject, after receipt, the events whose ``field`` equals ``value`` (its text) or,
    when ``pattern`` is given instead, whose text matches that regular expression whole.

    Spec syntax for :meth:`parse`: ``FIELD=VALUE`` or ``FIELD~REGEX``.
    """

    field: str
    value: str | None = None
    pattern: str | None = None
    message: str = ""
    code: str = STREAM_API_VALIDATION
    _regex: re.Pattern[str] | None = dataclasses.field(
        default=None, init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        if not self.field:
            raise ValueError("A post-receipt rule needs a field name.")
        if (self.value is None) == (self.pattern is None):
            raise ValueError(f"The rule on {self.field} needs either a value or a pattern.")
        if self.pattern is not None:
            try:
                object.__setattr__(self, "_regex", re.compile(self.pattern))
            except re.error as exc:
                raise ValueError(
                    f"The rule on {self.field} has a pattern that is not a regular "
                    f"expression ({exc})."
                ) from None

    @classmethod
    def parse(cls, spec: str) -> PostReceiptRule:
        """``FIELD=VALUE`` (equal text) or ``FIELD~REGEX`` (the whole text matches)."""
        eq, tilde = spec.find("="), spec.find("~")
        cuts = [i for i in (eq, tilde) if i > 0]
        if not cuts:
            raise ValueError(
                f"The rule '{spec}' needs the form FIELD=VALUE or FIELD~REGEX, "
                "e.g. CustomerId=A00091777."
            )
        cut = min(cuts)
        name = spec[:cut].strip()
        rest = spec[cut + 1 :]
        if spec[cut] == "=":
            return cls(name, value=rest)
        return cls(name, pattern=rest)

    def matches(self, event: dict[str, Any]) -> bool:
        if self.field not in event or event[self.field] is None:
            return False
        text = text_of(event[self.field])
        if self._regex is not None:
            return self._regex.fullmatch(text) is not None
        return text == self.value

    def error_message(self, event: dict[str, Any]) -> str:
        if self.message:
            return self.message
        return f"{self.field} '{text_of(event.get(self.field))}' was rejected by the meter."

    def spec(self) -> str:
        return (
            f"{self.field}={self.value}"
            if self.value is not None
            else f"{self.field}~{self.pattern}"
        )


@dataclass(frozen=True)
class Rejection:
    """One event rejected after receipt."""

    event: dict[str, Any]
    code: str
    message: str
    by_target: bool  # True: a rule in the meter's processing; False: the schema at the source


def with_required(schema: Schema, name: str | None) -> Schema:
    """``schema`` with ``name`` a required field (added as a string field if absent)."""
    if not name:
        return schema
    fields = [f if f.name != name else SchemaField(f.name, f.type, True, f.description)
              for f in schema.fields]  # fmt: skip
    if schema.field(name) is None:
        fields.append(SchemaField(name, FieldType.STRING, True, "Required by the emulator"))
    return Schema(fields, schema.name)


def sort_after_receipt(
    events: list[dict[str, Any]], schema: Schema | None, rules: Iterable[PostReceiptRule]
) -> tuple[list[dict[str, Any]], list[Rejection]]:
    """(events kept, events rejected) for one received call, in arrival order.

    ``schema`` None: the schema was checked on receipt already, only ``rules`` apply.
    """
    rule_list = list(rules)
    if schema is None and not rule_list:
        return events, []
    problems: dict[int, list[str]] = {}
    if schema is not None:
        reasons, _ = validate_events(events, schema, sys.maxsize)
        for r in reasons:
            problems.setdefault(int(r["index"]), []).append(without_index(str(r["message"])))
    kept: list[dict[str, Any]] = []
    rejected: list[Rejection] = []
    for i, event in enumerate(events):
        found = problems.get(i)
        if found:
            message = "STREAM_API_VALIDATION: " + "; ".join(found)
            rejected.append(Rejection(event, STREAM_API_VALIDATION, message, by_target=False))
            continue
        rule = next((r for r in rule_list if r.matches(event)), None)
        if rule is not None:
            rejected.append(Rejection(event, rule.code, rule.error_message(event), by_target=True))
            continue
        kept.append(event)
    return kept, rejected
