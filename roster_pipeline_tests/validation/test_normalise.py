"""Liberties taken with values: only real respellings are warned about."""

from __future__ import annotations

import pandas as pd

from roster_pipeline.validation.normalise import normalise_values


def test_grade_spellings_are_normalised_with_a_warning_and_standard_grades_are_left_alone():
    frame = pd.DataFrame(
        {"grades": ["K", "1", "10", "KG,5", "09", "Other"], "role": ["Student"] * 6},
        index=pd.Index([2, 3, 4, 5, 6, 7], name="line"),
        dtype=pd.StringDtype("pyarrow"),
    )
    normalised, issues = normalise_values("users.csv", frame)
    assert normalised["grades"].tolist() == ["KG", "01", "10", "KG,05", "09", "Other"]
    assert normalised["role"].tolist() == ["student"] * 6
    assert issues[["line", "code", "value"]].values.tolist() == [
        [2, "grade_normalised", "K"],
        [3, "grade_normalised", "1"],
        [5, "grade_normalised", "KG,5"],
    ]
