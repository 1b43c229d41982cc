"""What one upload file looks like: its standard columns, which are required, and its value rules."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property

import pandera.pandas as pa


@dataclass(frozen=True)
class FileFormat:
    name: str
    columns: tuple[str, ...]
    required: tuple[str, ...]
    checks: Mapping[str, tuple[pa.Check, ...]] = field(default_factory=dict)
    # Columns a district upload must have (they name School IDs); optional for one school.
    district_required: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        return self.name.lower()

    @cached_property
    def schema(self) -> pa.DataFrameSchema:
        """Per-column value rules; a column the file lacks is the header check's business."""
        return pa.DataFrameSchema(
            {
                column: pa.Column(checks=list(self.checks.get(column, ())), required=False)
                for column in self.columns
            },
            name=self.name,
            strict=False,
        )
