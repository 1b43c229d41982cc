"""The change log: per committed change, the row before and after as JSON, so a run can be shown and
undone field by field. Built per entity as whole columns (pandas writes the JSON), never row by row.

Rows a run created are undone by deleting them, so they need no entry each: one entry per entity
holds their ids as runs of consecutive ids (``{"ids": [[first, last], ...]}``), usually a single run.
A first import of a million students logs eight entries instead of fifteen million (which were a
fifth of its commit). Logs written before hold one entry per created row; rollback reads both."""

from __future__ import annotations

import io
import json

import numpy as np
import pandas as pd
from sqlalchemy import Connection, select

from roster_pipeline.plan.actions import CREATED
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


CREATED_ROWS_KEY = "(rows created)"


def created_rows_entry(
    run_id: str, district_id: int, entity: str, runs: list[list[int]], count: int
) -> pd.DataFrame:
    """The one entry naming every row of ``entity`` the run created (``runs``: see ``id_runs``)."""
    after = json.dumps({"ids": runs, "count": count}, separators=(",", ":"))
    return change_log_rows(
        run_id,
        district_id,
        entity,
        pd.Series([CREATED_ROWS_KEY]),
        pd.Series([CREATED]),
        np.array([None], dtype=object),
        np.array([after], dtype=object),
    )


def id_runs(ids: np.ndarray) -> list[list[int]]:
    """Distinct ids as [first, last] runs of consecutive values."""
    ids = np.unique(np.asarray(ids, dtype="int64"))
    if len(ids) == 0:
        return []
    breaks = np.flatnonzero(np.diff(ids) != 1)
    firsts = np.r_[ids[0], ids[breaks + 1]]
    lasts = np.r_[ids[breaks], ids[-1]]
    return np.column_stack([firsts, lasts]).tolist()


def ids_in_runs(runs: list[list[int]]) -> np.ndarray:
    if not runs:
        return np.array([], dtype="int64")
    return np.concatenate([np.arange(first, last + 1, dtype="int64") for first, last in runs])


def created_ids(entries: pd.DataFrame) -> np.ndarray:
    """Every id the ``{"ids": ...}`` entries among ``entries`` name (CREATED entries of one table)."""
    named = entries.loc[entries["key"] == CREATED_ROWS_KEY, "after"].dropna()
    return np.concatenate(
        [np.array([], dtype="int64"), *(ids_in_runs(json.loads(after)["ids"]) for after in named)]
    )


def read_change_log(connection: Connection, run_ids: list[str]) -> pd.DataFrame:
    query = select(CHANGE_LOG).where(CHANGE_LOG.c.run_id.in_(run_ids)).order_by(CHANGE_LOG.c.id)
    result = connection.execute(query)
    return pd.DataFrame(result.fetchall(), columns=list(result.keys()))


def changes_logged(connection: Connection, run_id: str) -> int:
    """How many rows a run changed, by its change log (an entry of created rows counts each row)."""
    log = read_change_log(connection, [run_id])
    in_runs = log["key"] == CREATED_ROWS_KEY
    return int((~in_runs).sum()) + sum(json.loads(after)["count"] for after in log.loc[in_runs, "after"])


def parse_json_column(values: pd.Series) -> pd.DataFrame:
    """The inverse of json_column: one column per field (text stays text, ids become integers)."""
    present = values.dropna()
    if present.empty:
        return pd.DataFrame(index=values.index)
    frame = pd.read_json(io.StringIO("\n".join(present)), lines=True, dtype=False)
    frame.index = present.index
    return frame
