from zmed_gui.core.upload._batches import (
    array_size,
    canonical_json,
    encode_array,
    event_hash,
    make_batches,
    split_in_two,
)
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
    UploadProgress,
    UploadResult,
)
from zmed_gui.core.upload._planning import (
    DuplicateFinding,
    UploadPlan,
    plan_upload,
)
from zmed_gui.core.upload._run import (
    run_upload,
)

__all__ = [
    "MAX_CONCURRENCY",
    "DuplicateFinding",
    "ProgressFn",
    "SourceInfo",
    "UploadItem",
    "UploadOptions",
    "UploadPlan",
    "UploadProgress",
    "UploadResult",
    "array_size",
    "canonical_json",
    "encode_array",
    "event_hash",
    "items_from_validation",
    "make_batches",
    "mapping_json",
    "plan_upload",
    "run_upload",
    "split_in_two",
]
