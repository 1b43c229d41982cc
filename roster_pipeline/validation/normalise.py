"""The liberties taken with values before the rules run: case, grade spellings, `inactive`.

Each one the format allows is applied to the frame, and the ones a district should hear about become
warnings on the row.
"""

from __future__ import annotations

import pandas as pd

from roster_pipeline.frames import is_in
from roster_pipeline.issues import concat_issues, row_issues
from roster_pipeline.schemas.checks import split_list
from roster_pipeline.schemas.vocabularies import GRADE_ALIASES, STATUS_ALIASES

# Columns whose values are case-insensitive words, stored lower-case.
LOWERED = (
    "role", "status", "enabledUser", "primary", "classType", "type", "relationship", "language",
)  # fmt: skip


def normalise_values(file: str, frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    issues = []
    for column in LOWERED:
        if column in frame.columns:
            frame[column] = frame[column].str.lower()
    if "status" in frame.columns:
        renamed = is_in(frame["status"], STATUS_ALIASES)
        if renamed.any():
            issues.append(
                row_issues(
                    file,
                    frame.index[renamed],
                    "status",
                    frame.loc[renamed, "status"],
                    "status_normalised",
                )
            )
            frame.loc[renamed, "status"] = frame.loc[renamed, "status"].map(STATUS_ALIASES)
    if "grades" in frame.columns:
        frame, grade_issues = _normalise_grades(file, frame)
        issues.append(grade_issues)
    return frame, concat_issues(issues)


def _normalise_grades(file: str, frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    grades = frame["grades"]
    items = split_list(grades[grades != ""])
    aliased = is_in(items, GRADE_ALIASES)
    if not aliased.any():
        return frame, concat_issues([])
    rows = items.index[aliased].unique()
    fixed = items[items.index.isin(rows)]
    fixed = fixed.where(~is_in(fixed, GRADE_ALIASES), fixed.map(GRADE_ALIASES))
    joined = fixed.groupby(level=0, sort=False).agg(",".join)
    issues = row_issues(
        file,
        rows,
        "grades",
        grades.loc[rows],
        "grade_normalised",
        message="grade written as " + grades.loc[rows] + "; read as " + joined.loc[rows],
    )
    frame.loc[rows, "grades"] = joined.loc[rows].astype(grades.dtype)
    return frame, issues
