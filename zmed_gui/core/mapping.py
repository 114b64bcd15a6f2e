"""Which source column (or constant) feeds each event field.

Data types live here; automatic matching and mapping profiles are built on them.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class FieldSource:
    """Where one event field takes its value from.

    Exactly one of ``column`` or ``constant`` is set for a mapped field. A date or
    date-time field may add ``time_column``: a separate column holding the time of day.
    ``confidence`` is the automatic matcher's score in 0..1, or None when the user chose.
    """

    column: int | None = None
    constant: str | None = None
    time_column: int | None = None
    confidence: float | None = None

    @property
    def is_mapped(self) -> bool:
        return self.column is not None or self.constant is not None


@dataclass
class Mapping:
    """Field name -> source. Fields missing from ``sources`` are unmapped."""

    sources: dict[str, FieldSource] = field(default_factory=dict)

    def source(self, field_name: str) -> FieldSource | None:
        src = self.sources.get(field_name)
        return src if src is not None and src.is_mapped else None

    def used_columns(self) -> set[int]:
        used: set[int] = set()
        for src in self.sources.values():
            if src.column is not None:
                used.add(src.column)
            if src.time_column is not None:
                used.add(src.time_column)
        return used
