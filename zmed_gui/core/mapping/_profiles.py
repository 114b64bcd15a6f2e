"""Mapping profiles: a saved mapping, sheet and options, so next month's upload is one click.

A profile names columns by their header text (with the column letter kept as a fallback
for columns without a header), never by position alone: exports gain and lose columns.
Files are versioned JSON::

    {"format": "zmed-gui mapping profile", "version": 1, "name": ..., "sheet": ...,
     "header_row": ..., "headers": [...], "schema": {...}, "mapping": {...}, "options": {...}}
"""

from __future__ import annotations

import dataclasses
import logging
import re
import typing
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any

from zmed_gui.core.convert import ConversionOptions
from zmed_gui.core.errors import OptionsError
from zmed_gui.core.jsonfile import read_json_file, write_json_atomic
from zmed_gui.core.mapping._match import FieldSource, Mapping, normalise_header
from zmed_gui.core.mapping._rowid import GENERATED_KINDS
from zmed_gui.core.paths import user_data_dir
from zmed_gui.core.schema import Schema, default_schema, schema_from_json
from zmed_gui.core.table import Table, column_index, column_letter

FORMAT = "zmed-gui mapping profile"
VERSION = 1

log = logging.getLogger(__name__)


@dataclass
class ProfileSource:
    """Where a field takes its value from, by header text rather than column position.

    ``header`` is the header the column had (None when it had none); ``letter`` its Excel
    column letter then. ``time_header``/``time_letter`` name a separate time-of-day column.
    ``generated`` is a value the app makes per row (``"row-id"``), as in :class:`FieldSource`.
    """

    header: str | None = None
    letter: str | None = None
    constant: str | None = None
    time_header: str | None = None
    time_letter: str | None = None
    generated: str | None = None

    def to_json(self) -> dict[str, str]:
        return {k: v for k, v in dataclasses.asdict(self).items() if v is not None}


@dataclass
class Profile:
    name: str
    sheet: str | None
    header_row: int | None  # Excel row number
    schema: Schema
    mapping: dict[str, ProfileSource]  # field name -> source
    options: ConversionOptions = field(default_factory=ConversionOptions)
    headers: list[str] = field(default_factory=list)  # the headers the profile was made on
    version: int = VERSION


def _header_of(table: Table, col: int) -> str | None:
    original = table.original_headers[col] if col < len(table.original_headers) else None
    if original is None or not str(original).strip():
        return None  # "Column D" is a placeholder, not something to look for next month
    return table.headers[col]


def profile_from(
    name: str, table: Table, schema: Schema, mapping: Mapping, options: ConversionOptions
) -> Profile:
    """A profile that reproduces ``mapping`` on another file with the same headers."""
    sources: dict[str, ProfileSource] = {}
    for field_name, src in mapping.sources.items():
        if not src.is_mapped:
            continue
        ps = ProfileSource(constant=src.constant, generated=src.generated)
        if src.column is not None:
            ps.header = _header_of(table, src.column)
            ps.letter = column_letter(src.column)
        if src.time_column is not None:
            ps.time_header = _header_of(table, src.time_column)
            ps.time_letter = column_letter(src.time_column)
        sources[field_name] = ps
    return Profile(
        name=name,
        sheet=table.sheet,
        header_row=table.header_row,
        schema=schema,
        mapping=sources,
        options=dataclasses.replace(options),
        headers=list(table.headers),
    )


def _find(table: Table, header: str | None, letter: str | None) -> int | None:
    if header is not None:
        for i, h in enumerate(table.headers):
            if h == header:
                return i
        wanted = normalise_header(header)
        hits = [i for i, h in enumerate(table.headers) if wanted and normalise_header(h) == wanted]
        if len(hits) == 1:
            return hits[0]
        return None  # a named column that is gone is never swapped for whatever is there now
    if letter is not None:
        idx = column_index(letter)
        if idx is not None and idx < table.column_count:
            return idx
    return None


def _describe(header: str | None, letter: str | None) -> str:
    return f"'{header}'" if header is not None else f"column {letter}"


def apply_profile(profile: Profile, table: Table) -> tuple[Mapping, list[str]]:
    """The profile's mapping on ``table``, and a sentence for each column no longer there.

    Columns are found by header text (exactly, then ignoring case and punctuation); a
    column the profile knew only by letter (it had no header) is found by letter. A field
    whose column is gone is left unmapped, so validation asks the user to map it.
    """
    mapping = Mapping()
    notes: list[str] = []
    for field_name, ps in profile.mapping.items():
        if profile.schema.field(field_name) is None:
            continue
        if ps.generated is not None:
            mapping.sources[field_name] = FieldSource(generated=ps.generated)
            continue
        if ps.constant is not None:
            mapping.sources[field_name] = FieldSource(constant=ps.constant)
            continue
        col = _find(table, ps.header, ps.letter)
        if col is None:
            notes.append(
                f"The column {_describe(ps.header, ps.letter)} that profile '{profile.name}' "
                f"maps to {field_name} is not in sheet '{table.sheet}'; map {field_name} by hand."
            )
            continue
        src = FieldSource(column=col)
        if ps.time_header is not None or ps.time_letter is not None:
            tcol = _find(table, ps.time_header, ps.time_letter)
            if tcol is None:
                notes.append(
                    f"The time column {_describe(ps.time_header, ps.time_letter)} that profile "
                    f"'{profile.name}' adds to {field_name} is not in sheet '{table.sheet}'; "
                    f"choose the time column by hand."
                )
            else:
                src.time_column = tcol
        mapping.sources[field_name] = src
    return mapping, notes


# --- JSON ---------------------------------------------------------------------------------


def _options_to_json(options: ConversionOptions) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in dataclasses.fields(options):
        value = getattr(options, f.name)
        out[f.name] = value.value if isinstance(value, Enum) else value
    return out


def _options_from_json(data: Any, origin: str) -> ConversionOptions:
    if not isinstance(data, dict):
        raise OptionsError(f'{origin}: "options" must be an object.')
    hints = typing.get_type_hints(ConversionOptions)
    values: dict[str, Any] = {}
    for f in dataclasses.fields(ConversionOptions):
        if f.name not in data:
            continue
        raw = data[f.name]
        hint = hints[f.name]
        allowed = [a for a in typing.get_args(hint)] or [hint]
        if raw is None and type(None) in allowed:
            values[f.name] = None
            continue
        values[f.name] = _coerce_option(raw, [a for a in allowed if a is not type(None)], f.name)
        if values[f.name] is _BAD:
            raise OptionsError(f"{origin}: option {f.name} has the unusable value {raw!r}.")
    return ConversionOptions(**values)


_BAD = object()


def _coerce_option(raw: Any, types: list[Any], name: str) -> Any:
    for t in types:
        if isinstance(t, type) and issubclass(t, Enum):
            try:
                return t(raw)
            except ValueError:
                continue
        if t is bool and isinstance(raw, bool):
            return raw
        if t is int and isinstance(raw, int) and not isinstance(raw, bool):
            return raw
        if t is float and isinstance(raw, int | float) and not isinstance(raw, bool):
            return float(raw)
        if t is str and isinstance(raw, str):
            return raw
    return _BAD


def profile_to_json(profile: Profile) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "version": VERSION,
        "name": profile.name,
        "sheet": profile.sheet,
        "header_row": profile.header_row,
        "headers": list(profile.headers),
        "schema": profile.schema.to_json(),
        "mapping": {name: ps.to_json() for name, ps in profile.mapping.items()},
        "options": _options_to_json(profile.options),
    }


# Older layouts are upgraded one step at a time: _MIGRATIONS[n] turns version n into n + 1.
_MIGRATIONS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {}


def _opt_str(data: dict[str, Any], key: str, origin: str) -> str | None:
    value = data.get(key)
    if value is not None and not isinstance(value, str):
        raise OptionsError(f'{origin}: "{key}" must be text.')
    return value


def profile_from_json(data: Any, origin: str = "The profile") -> Profile:
    """A profile from parsed JSON; every problem is one sentence naming what and where."""
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise OptionsError(f"{origin} is not a zmed-gui mapping profile.")
    version = data.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise OptionsError(f'{origin} has no usable "version"; save the profile again.')
    if version > VERSION:
        raise OptionsError(
            f"{origin} was made by a newer zmed-gui (profile version {version}); "
            f"update zmed-gui to use it."
        )
    while version < VERSION:
        data = _MIGRATIONS[version](data)
        version += 1
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        raise OptionsError(f'{origin}: "name" must be non-empty text.')
    sheet = _opt_str(data, "sheet", origin)
    header_row = data.get("header_row")
    if header_row is not None and (
        not isinstance(header_row, int) or isinstance(header_row, bool) or header_row < 1
    ):
        raise OptionsError(f'{origin}: "header_row" must be a row number (1 or more).')
    headers = data.get("headers", [])
    if not isinstance(headers, list) or not all(isinstance(h, str) for h in headers):
        raise OptionsError(f'{origin}: "headers" must be a list of texts.')
    # A hand-written profile may leave the schema out: it then maps the default event.
    schema = (
        schema_from_json(data["schema"], origin=f'{origin}, "schema",')
        if data.get("schema") is not None
        else default_schema()
    )
    raw_mapping = data.get("mapping")
    if not isinstance(raw_mapping, dict):
        raise OptionsError(f'{origin}: "mapping" must be an object of field names.')
    mapping: dict[str, ProfileSource] = {}
    for field_name, raw in raw_mapping.items():
        where = f'{origin}, mapping of "{field_name}"'
        if schema.field(field_name) is None:
            raise OptionsError(f"{where}: the profile's schema has no such field.")
        if isinstance(raw, str):  # shorthand for hand-written profiles: "Quantity": "Qty"
            raw = {"header": raw}
        if not isinstance(raw, dict):
            raise OptionsError(f'{where} must be an object such as {{"header": "Qty"}}.')
        unknown = set(raw) - {f.name for f in dataclasses.fields(ProfileSource)}
        if unknown:
            raise OptionsError(f"{where} has unknown keys: {', '.join(sorted(unknown))}.")
        ps = ProfileSource(**{k: _opt_str(raw, k, where) for k in raw})
        if ps.constant is None and ps.header is None and ps.letter is None and not ps.generated:
            raise OptionsError(
                f'{where} needs a "header", a "letter", a "constant" or "generated": "row-id".'
            )
        if ps.generated is not None and ps.generated not in GENERATED_KINDS:
            raise OptionsError(
                f"{where}: generated '{ps.generated}' is unknown; the app generates "
                f"{', '.join(GENERATED_KINDS)}."
            )
        for letter in (ps.letter, ps.time_letter):
            if letter is not None and column_index(letter) is None:
                raise OptionsError(f"{where}: '{letter}' is not a column letter.")
        mapping[field_name] = ps
    options = _options_from_json(data.get("options", {}), origin)
    return Profile(name.strip(), sheet, header_row, schema, mapping, options, headers)


def save_profile(profile: Profile, path: Path) -> None:
    """Write the profile as JSON (atomically; the folder is created if needed)."""
    try:
        write_json_atomic(path, profile_to_json(profile))
    except OSError as exc:
        raise OptionsError(
            f"Cannot save the profile to {path}: {exc.strerror or exc}; choose another folder."
        ) from exc


def load_profile(path: Path) -> Profile:
    """Read a profile file; OptionsError with one sentence when it cannot be used."""
    data = read_json_file(path, "profile")
    return profile_from_json(data, origin=f"The profile {path.name}")


# --- the profiles folder ------------------------------------------------------------------


def profiles_dir() -> Path:
    """The folder saved profiles live in (created on demand)."""
    path = user_data_dir() / "profiles"
    path.mkdir(parents=True, exist_ok=True)
    return path


_UNSAFE = re.compile(r'[<>:"/\\|?*\x00-\x1f]+')


def profile_path(name: str) -> Path:
    """Where a profile called ``name`` is saved in :func:`profiles_dir`."""
    stem = _UNSAFE.sub("_", name).strip(" ._") or "profile"
    return profiles_dir() / f"{stem[:100]}.json"


def list_profiles() -> list[Path]:
    """Saved profile files, by name."""
    return sorted(profiles_dir().glob("*.json"), key=lambda p: p.name.casefold())


def find_profile_for_headers(headers: list[str]) -> Profile | None:
    """The newest saved profile made on the same headers (ignoring case and punctuation)."""
    wanted = [normalise_header(h) for h in headers]
    paths = list_profiles()
    paths.sort(key=_mtime, reverse=True)
    for path in paths:
        try:
            profile = load_profile(path)
        except OptionsError as exc:
            log.warning("Skipping profile %s: %s", path, exc)
            continue
        if [normalise_header(h) for h in profile.headers] == wanted:
            return profile
    return None


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0
