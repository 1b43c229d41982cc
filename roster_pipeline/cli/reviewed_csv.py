"""A reviewed CSV handed back to the CLI (classroom suggestions, merge candidates): the rows a person
kept, each cell the command needs checked, so an edited cell is refused with its line, column and value
instead of crashing the command or staging a bad ID."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from roster_pipeline.reports.escaping import unescape_formulas
from roster_pipeline.schemas.vocabularies import ID_PATTERN

SCORE, ROSTER_ID, SIS_ID = "a number", "a roster id (a whole number)", "an SIS ID"
SHOWN = 5


class ReviewedFileError(ValueError):
    """The reviewed file cannot be used as it is."""


def read_reviewed(path: Path, columns: dict[str, str], min_score: float) -> pd.DataFrame:
    """The rows scoring at least ``min_score``, with ``columns`` (name: SCORE, ROSTER_ID or SIS_ID)
    typed: scores as floats, roster ids as integers, SIS IDs as text (formula escaping undone)."""
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = [name for name in columns if name not in frame.columns]
    if missing:
        raise ReviewedFileError(f"{path}: no column {', '.join(missing)}")
    sis_ids = [name for name, kind in columns.items() if kind == SIS_ID]
    frame = unescape_formulas(frame[list(columns)], sis_ids).astype("string")
    problems = []
    typed = {}
    for name, kind in columns.items():
        values = frame[name].str.strip()
        if kind == SIS_ID:
            typed[name] = values
            wrong = ~values.str.fullmatch(ID_PATTERN).fillna(False).astype(bool)
        else:
            typed[name] = pd.to_numeric(values, errors="coerce")
            wrong = typed[name].isna()
            if kind == ROSTER_ID:
                wrong |= typed[name].fillna(0) % 1 != 0
        # Line 1 is the header.
        problems += [
            f"line {line + 2}, {name}: {value!r} is not {kind}" for line, value in values[wrong].items()
        ]
    if problems:
        shown = "; ".join(problems[:SHOWN]) + (
            f"; and {len(problems) - SHOWN} more" if len(problems) > SHOWN else ""
        )
        raise ReviewedFileError(f"{path}: {shown}")
    rows = pd.DataFrame(typed)
    rows = rows.astype({name: "int64" for name, kind in columns.items() if kind == ROSTER_ID})
    score = next(name for name, kind in columns.items() if kind == SCORE)
    return rows[rows[score] >= min_score]
