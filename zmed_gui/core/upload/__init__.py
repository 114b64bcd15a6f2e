"""Sending validated events to a meter: the one upload engine of every face.

:class:`UploadSession` is the entry point (see its module for what it owns, in order); the
CLI, the app and the self-test build an :class:`UploadRequest` and call it. Everything
else here is what goes in (:class:`UploadItem`, :class:`SourceInfo`,
:class:`UploadOptions`), what comes out (:class:`UploadPlan`, :class:`UploadProgress`,
:class:`UploadResult`) and the canonical encoding of an event (the bytes sent and hashed).

Uncertain means: the request was sent but no answer came (timeout, dropped connection,
gateway timeout). Zuora has no idempotency key, so such a batch is never resent by itself,
unless the user says the meter deduplicates on an event-ID field the events carry
(``UploadOptions.meter_deduplicates``; e.g. the generated row ID): then a repeat is
dropped by the meter, and uncertain events are sent again without asking.
"""

from zmed_gui.core.upload._batches import canonical_json, canonical_lines, event_hash
from zmed_gui.core.upload._input import (
    MAX_CONCURRENCY,
    SourceInfo,
    UploadItem,
    UploadOptions,
    items_from_validation,
    mapping_json,
)
from zmed_gui.core.upload._outcomes import (
    ProgressFn,
    UploadPhase,
    UploadProgress,
    UploadResult,
    destination,
    summary_sentence,
)
from zmed_gui.core.upload._planning import DuplicateFinding, UploadPlan
from zmed_gui.core.upload._reconcile import (
    ReconcileResult,
    check_upload,
    latest_upload,
    reconcile,
)
from zmed_gui.core.upload._session import UploadRequest, UploadSession

__all__ = [
    "MAX_CONCURRENCY",
    "DuplicateFinding",
    "ProgressFn",
    "ReconcileResult",
    "SourceInfo",
    "UploadItem",
    "UploadOptions",
    "UploadPhase",
    "UploadPlan",
    "UploadProgress",
    "UploadRequest",
    "UploadResult",
    "UploadSession",
    "canonical_json",
    "canonical_lines",
    "check_upload",
    "destination",
    "event_hash",
    "items_from_validation",
    "latest_upload",
    "mapping_json",
    "reconcile",
    "summary_sentence",
]
