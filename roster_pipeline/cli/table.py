"""Plain-text tables for the terminal."""

from __future__ import annotations

import pandas as pd


def render_table(frame: pd.DataFrame, max_width: int = 70) -> str:
    cells = frame.astype(str).map(
        lambda text: text if len(text) <= max_width else text[: max_width - 1] + "…"
    )
    widths = {column: max([len(str(column)), *cells[column].str.len().tolist()]) for column in frame.columns}

    def line(values) -> str:
        return "  ".join(
            str(value).ljust(widths[column]) for column, value in zip(frame.columns, values, strict=True)
        ).rstrip()

    out = [line(frame.columns), line("-" * widths[column] for column in frame.columns)]
    out += [line(row) for row in cells.itertuples(index=False)]
    return "\n".join(out)


def render_issues(issues: pd.DataFrame, limit: int) -> str:
    """The first ``limit`` issues; one about a whole file or the upload has no line, shown blank."""
    shown = issues.head(limit)[["file", "line", "column", "value", "code", "message"]]
    return render_table(shown.astype("string").fillna(""))
