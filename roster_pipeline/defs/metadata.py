"""Small, readable metadata for the UI: tables of counts and a few sample rows, never whole frames."""

from __future__ import annotations

import pandas as pd
from dagster import MetadataValue, TableColumn, TableRecord, TableSchema

from roster_pipeline.plan.staged_plan import StagedPlan
from roster_pipeline.redaction import hide_personal_values

SAMPLE_CHANGES = 20


def table(frame: pd.DataFrame) -> MetadataValue:
    """A DataFrame of counts or statuses as a UI table (ints stay ints, the rest becomes text)."""
    columns = [
        TableColumn(str(name), "int" if pd.api.types.is_integer_dtype(frame[name]) else "string")
        for name in frame.columns
    ]
    records = [
        TableRecord({str(k): (int(v) if isinstance(v, int) else str(v)) for k, v in row.items()})
        for row in frame.astype(object).to_dict(orient="records")
    ]
    return MetadataValue.table(records, TableSchema(columns=columns))


def sample_changes(plan: StagedPlan, per_entity: int = SAMPLE_CHANGES) -> MetadataValue:
    """Up to ``per_entity`` changes of each entity as markdown, personal values hidden (the event log
    keeps metadata for good and every UI user sees every tenant; the full plan is in the tenant's
    results folder)."""
    counts = plan.change_counts()
    if not counts:
        return MetadataValue.md("No changes.")
    changes = hide_personal_values(plan.changes(rows_per_entity=per_entity))
    parts = []
    for entity, rows in changes.groupby("entity", sort=False):
        shown = rows.head(per_entity)[["key", "action", "field", "old", "new", "file", "line"]]
        parts.append(f"### {entity} ({counts[str(entity)]} changes)\n\n" + _markdown(shown))
    return MetadataValue.md("\n\n".join(parts))


def _markdown(frame: pd.DataFrame) -> str:
    # Missing values (an archive has no file or line) are empty cells, whatever the column's dtype.
    cells = frame.astype("string").fillna("").replace({"<NA>": "", "nan": ""})
    cells = cells.apply(lambda column: column.str.replace("|", "\\|", regex=False))
    header = "| " + " | ".join(frame.columns) + " |\n|" + "---|" * len(frame.columns)
    return header + "\n" + "\n".join("| " + " | ".join(row) + " |" for row in cells.to_numpy().tolist())
