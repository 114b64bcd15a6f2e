"""Each core subpackage's ``__init__`` is its whole public API (httpx's habit): the names
are pinned here, every one is importable, and the faces never reach past them (the
import-linter contract in pyproject.toml names every private module; this checks it does)."""

from __future__ import annotations

import importlib
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

API: dict[str, list[str]] = {
    "read": [
        "PasswordNeeded",
        "SUPPORTED_EXTENSIONS",
        "check_encoding",
        "decode_text",
        "detect_delimiter",
        "detect_header_row",
        "encoding_label",
        "list_sheets",
        "load_table",
        "make_table",
        "read_grid",
        "read_text_grid",
    ],
    "convert": [
        "ConversionOptions",
        "DateFormat",
        "DateOrder",
        "DateOrderGuess",
        "DateOrderQuestion",
        "DateTimeFormat",
        "EMPTY",
        "EPOCH_MS",
        "FieldConverter",
        "Flagged",
        "Problem",
        "asks_date_order",
        "combine_date_time",
        "count_cells",
        "count_texts",
        "date_order_question",
        "from_excel_serial",
        "infer_date_order",
        "is_quantity_field",
        "parse_date_format",
        "parse_date_text",
        "resolve_timezone",
        "show",
        "to_boolean",
        "to_number",
        "to_string",
        "to_time_of_day",
    ],
    "mapping": [
        "FieldSource",
        "MATCH_SAMPLE_ROWS",
        "Mapping",
        "Profile",
        "ProfileSource",
        "ROW_ID",
        "apply_profile",
        "auto_match",
        "auto_match_table",
        "event_id_fields",
        "find_profile_for_headers",
        "list_profiles",
        "load_profile",
        "normalise_header",
        "profile_from",
        "profile_path",
        "profile_to_json",
        "profiles_dir",
        "resolve_column",
        "row_id",
        "save_profile",
        "unmapped_columns",
        "unmapped_required",
    ],
    "validate": [
        "CHUNK",
        "Issue",
        "RowStatus",
        "Severity",
        "ValidationResult",
        "check_mapping",
        "event_lines",
        "revalidate_rows",
        "validate",
    ],
    "report": [
        "RowOutcome",
        "RowUpload",
        "shown_value",
        "write_outcome_rows",
        "write_report",
    ],
    "connections": [
        "CUSTOM",
        "Connection",
        "DEFAULT_ENVIRONMENT",
        "DEFAULT_PATH_STYLE",
        "ENVIRONMENTS",
        "ENV_SECRET",
        "Environment",
        "LIMIT_PRESETS",
        "NO_KEYRING",
        "PATH_STYLES",
        "PATH_STYLE_LABELS",
        "PathStyle",
        "SERVICE",
        "Target",
        "TenantLimits",
        "annotations",
        "check_base_url",
        "check_meter_id",
        "check_same_tenant",
        "connections_file",
        "delete_connection",
        "delete_secret",
        "environment_limits",
        "get_connection",
        "get_secret",
        "is_loopback_host",
        "keyring_available",
        "limits_preset",
        "load_connections",
        "make_target",
        "meter_key",
        "meter_url",
        "parse_upload_url",
        "remember_batch_size",
        "remember_path_style",
        "resolve_secret",
        "save_connection",
        "set_secret",
        "tenant_key",
    ],
    "zuora": [
        "AddressMoved",
        "AuditEntry",
        "ConnectionTestResult",
        "NoAnswer",
        "NotSent",
        "PostResult",
        "ProbeOutcome",
        "REFUSED",
        "REFUSED_UPLOAD",
        "RateLimiter",
        "TokenClient",
        "USER_AGENT",
        "ZuoraClient",
        "backoff_delay",
        "check_meter_number",
        "check_track_id",
        "describe_status",
        "encode_json",
        "fetch_audit_errors",
        "fetch_meter_definition",
        "new_track_id",
        "parse_retry_after",
        "register_secret",
        "test_connection",
    ],
    "journal": [
        "BACKUPS_KEPT",
        "BatchRecord",
        "BatchStatus",
        "EventColumns",
        "EventRow",
        "EventStatus",
        "HEARTBEAT_STALE_SECONDS",
        "Journal",
        "JournalDamaged",
        "JournalError",
        "JournalFull",
        "JournalLocked",
        "JournalReadOnly",
        "LeaseLost",
        "MeterBusy",
        "MeterLease",
        "UploadRecord",
        "UploadStatus",
        "abandon_upload",
        "find_interrupted_uploads",
        "hash_key",
        "list_backups",
        "set_aside_journal",
    ],
    "upload": [
        "DuplicateFinding",
        "MAX_CONCURRENCY",
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
    ],
    "fixes": [
        "DELIVERED",
        "FIXED_NOT_SENT",
        "FIXES_SHEET",
        "FixedRows",
        "FixesError",
        "MARKER_SHEET",
        "RowToFix",
        "describe_now",
        "export_rows_to_fix",
        "merge_outcomes",
        "not_yet_sent",
        "read_fixed_rows",
        "report_outcomes",
        "rows_to_fix",
        "say_what_was_sent",
        "source_token",
    ],
    "meterdef": [
        "MAX_FIELDS",
        "MeterDefinition",
        "format_example",
        "load_event_fields",
        "load_meter_definition",
        "looks_like_meter_definition",
        "meter_definition_from_json",
    ],
}


@pytest.mark.parametrize("package", sorted(API))
def test_package_api_is_pinned(package: str) -> None:
    module = importlib.import_module(f"zmed_gui.core.{package}")
    assert sorted(module.__all__) == API[package]
    for name in module.__all__:
        assert getattr(module, name) is not None


def test_every_core_package_is_pinned_and_packaged() -> None:
    core = ROOT / "zmed_gui" / "core"
    packages = sorted(d.name for d in core.iterdir() if (d / "__init__.py").is_file())
    assert packages == sorted(API)
    listed = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]
    assert {f"zmed_gui.core.{p}" for p in packages} <= set(listed)


def test_the_faces_contract_names_every_private_module() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    (contract,) = [
        c
        for c in config["tool"]["importlinter"]["contracts"]
        if c["name"].startswith("the faces use core")
    ]
    private = sorted(
        f"zmed_gui.core.{f.parent.name}.{f.stem}"
        for f in (ROOT / "zmed_gui" / "core").glob("*/_*.py")
        if f.name != "__init__.py"
    )
    assert sorted(contract["forbidden_modules"]) == private
