"""The issues table every layer reports into: one row per problem, pinned to file, line, column, value.

A plain module at the top of the package so that reading, validation and reports share one shape.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd

from roster_pipeline.codes import describe, severity_of

ERROR = "ERROR"
WARNING = "WARNING"

ISSUE_COLUMNS = ["file", "line", "column", "value", "code", "severity", "message"]
STRING = pd.StringDtype("pyarrow")
LINE = "Int64"


@dataclass(frozen=True)
class Issue:
    """One problem found in an upload; ``line`` is None for file-level problems."""

    file: str
    code: str
    line: int | None = None
    column: str = ""
    value: str = ""
    message: str = ""
    severity: str = ""


def empty_issues() -> pd.DataFrame:
    return _EMPTY.copy()


def issues_from(items: Iterable[Issue]) -> pd.DataFrame:
    """Build an issues table from a few file-level issues (not for per-row use)."""
    rows = [
        {
            "file": item.file,
            "line": item.line,
            "column": item.column,
            "value": item.value,
            "code": item.code,
            "severity": item.severity or severity_of(item.code),
            "message": item.message or describe(item.code),
        }
        for item in items
    ]
    if not rows:
        return empty_issues()
    return _typed(pd.DataFrame(rows, columns=ISSUE_COLUMNS))


def row_issues(
    file: str,
    lines: pd.Series | pd.Index,
    column: str | pd.Series,
    values: pd.Series,
    code: str,
    message: str | pd.Series | None = None,
    severity: str | None = None,
) -> pd.DataFrame:
    """Vectorised: one issue per element of ``lines``/``values`` with the same code."""
    count = len(lines)
    if count == 0:
        return empty_issues()
    if message is None:
        message = describe(code)
    frame = pd.DataFrame(
        {
            "file": file,
            "line": pd.array(list(lines) if isinstance(lines, pd.Index) else lines.to_numpy(), LINE),
            "column": column.to_numpy() if isinstance(column, pd.Series) else column,
            "value": pd.array(values.to_numpy(), STRING),
            "code": code,
            "severity": severity or severity_of(code),
            "message": message.to_numpy() if isinstance(message, pd.Series) else message,
        },
        index=pd.RangeIndex(count),
    )
    return _typed(frame)


def concat_issues(frames: Iterable[pd.DataFrame]) -> pd.DataFrame:
    frames = [frame for frame in frames if len(frame)]
    if not frames:
        return empty_issues()
    return _typed(pd.concat(frames, ignore_index=True))


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame[ISSUE_COLUMNS].copy()
    frame["line"] = frame["line"].astype(LINE)
    for name in ("file", "column", "value", "code", "severity", "message"):
        frame[name] = frame[name].astype(STRING).fillna("")
    return frame.reset_index(drop=True)


_EMPTY = _typed(pd.DataFrame({name: [] for name in ISSUE_COLUMNS}))  # typing it costs ~5 ms; made once
