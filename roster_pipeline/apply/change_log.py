"""The change log: per committed change, the row before and after as JSON, so a run can be shown and
undone field by field. Built per entity as whole columns (pandas writes the JSON), never row by row."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
from sqlalchemy import Connection, select

from roster_pipeline.roster.models import ChangeLogEntry

CHANGE_LOG = ChangeLogEntry.__table__


def json_column(rows: pd.DataFrame) -> pd.Series:
    """One JSON object per row; rows that are all missing give NULL."""
    if rows.empty:
        return pd.Series([], dtype="object")
    text = rows.reset_index(drop=True).to_json(orient="records", lines=True, date_format="iso")
    return pd.Series(text.rstrip("\n").split("\n"), dtype="object")


def json_where(rows: pd.DataFrame, mask: np.ndarray) -> np.ndarray:
    """JSON of the rows where ``mask`` holds, None elsewhere (only the needed rows are serialised)."""
    out = np.full(len(rows), None, dtype=object)
    if mask.any():
        out[mask] = json_column(rows[mask]).to_numpy()
    return out


def change_log_rows(
    run_id: str,
    district_id: int,
    entity: str,
    keys: pd.Series,
    actions: pd.Series,
    before: np.ndarray,
    after: np.ndarray,
) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "run_id": run_id,
            "district_id": district_id,
            "entity": entity,
            "key": keys.to_numpy(),
            "action": actions.to_numpy(),
            "before": before,
            "after": after,
        }
    )


def read_change_log(connection: Connection, run_ids: list[str]) -> pd.DataFrame:
    query = select(CHANGE_LOG).where(CHANGE_LOG.c.run_id.in_(run_ids)).order_by(CHANGE_LOG.c.id)
    result = connection.execute(query)
    return pd.DataFrame(result.fetchall(), columns=list(result.keys()))


def parse_json_column(values: pd.Series) -> pd.DataFrame:
    """The inverse of json_column: one column per field (text stays text, ids become integers)."""
    present = values.dropna()
    if present.empty:
        return pd.DataFrame(index=values.index)
    frame = pd.read_json(io.StringIO("\n".join(present)), lines=True, dtype=False)
    frame.index = present.index
    return frame
