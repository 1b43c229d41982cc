"""The row actions of a stopped plan: every row NOT_IMPORTED, saying what would have happened and why not."""

from __future__ import annotations

import pandas as pd

from roster_pipeline.reports.actions import ROW_ACTION_COLUMNS, not_imported_actions

REASON = "students: 3 of 10 would be archived or removed (30%); the limit is 10%"


def test_each_row_says_what_the_plan_would_have_done_and_that_nothing_was_imported() -> None:
    actions = pd.DataFrame(
        {
            "file": pd.Categorical(["users.csv"] * 4 + ["guardians.csv"]),
            "line": [2, 3, 4, 5, 2],
            "action": pd.Categorical(["ARCHIVED", "UNCHANGED", "MERGE_CANDIDATE", "RENAMED", "CREATED"]),
            "detail": pd.Categorical(
                [
                    "",
                    "",
                    "created; looks like existing student #7",
                    "",
                    "guardian created; guardian link created",
                ]
            ),
        }
    )

    stopped = not_imported_actions(actions, REASON)

    assert list(stopped.columns) == ROW_ACTION_COLUMNS
    assert (
        stopped[["file", "line"]].astype(str).values.tolist()
        == actions[["file", "line"]].astype(str).values.tolist()
    )
    assert set(stopped["action"]) == {"NOT_IMPORTED"}
    assert stopped["detail"].astype(str).tolist() == [
        f"would be archived; not imported: {REASON}",
        f"would be left unchanged; not imported: {REASON}",
        "would be created as a merge candidate (created; looks like existing student #7); "
        f"not imported: {REASON}",
        f"would be renamed; not imported: {REASON}",  # an action without words of its own
        f"would be created (guardian created; guardian link created); not imported: {REASON}",
    ]
    # Categorical: the texts are made once per distinct (action, detail), not once per row.
    assert isinstance(stopped["detail"].dtype, pd.CategoricalDtype)


def test_no_rows_stay_no_rows() -> None:
    empty = pd.DataFrame({column: pd.Series(dtype="string") for column in ROW_ACTION_COLUMNS})
    assert not_imported_actions(empty, REASON).empty
