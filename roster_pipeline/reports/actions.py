"""What became of each input row: the plan's action for it, traced by file and line.

A row can produce several changes (a guardians.csv row: the guardian and the link); the results show
the most telling action and, when there are several, a note naming each.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from roster_pipeline.frames import STRING
from roster_pipeline.plan.actions import MERGE_CANDIDATE, PRECEDENCE, SKIPPED
from roster_pipeline.plan.staged_plan import StagedPlan

ROW_ACTION_COLUMNS = ["file", "line", "action", "detail"]
RANK = {action: rank for rank, action in enumerate(PRECEDENCE)}
ENTITY_WORDS = {
    "classrooms": "classroom",
    "students": "student",
    "staff": "staff member",
    "guardians": "guardian",
    "student_enrollments": "enrollment",
    "staff_enrollments": "enrollment",
    "guardian_links": "guardian link",
    "student_attributes": "attribute",
}


def row_actions(plan: StagedPlan, skipped: pd.DataFrame | None = None) -> pd.DataFrame:
    parts = [
        pd.DataFrame(
            {
                "file": frame["file"].astype(STRING).array,
                "line": frame["line"].astype("Int64").array,
                "action": frame["action"].astype(STRING).array,
                "entity": name,
            }
        )
        for name, frame in plan.entities.items()
    ]
    found = pd.concat(parts, ignore_index=True).dropna(subset=["file", "line"])
    candidates = plan.merge_candidates.drop_duplicates("student_key")
    if len(candidates):
        flagged = pd.DataFrame(
            {
                "file": candidates["file"].to_numpy(),
                "line": candidates["line"].to_numpy(),
                "action": MERGE_CANDIDATE,
                "entity": "students",
                "detail": (
                    "created; looks like existing student #"
                    + candidates["existing_id"].astype(str)
                    + " (score "
                    + candidates["score"].astype(str)
                    + ": "
                    + candidates["reasons"].astype(str)
                    + ")"
                ).to_numpy(),
            }
        )
        found = pd.concat([found, flagged], ignore_index=True)
    if skipped is not None and len(skipped):
        found = pd.concat(
            [
                found,
                skipped.assign(action=SKIPPED, entity="", detail="")[
                    ["file", "line", "action", "entity", "detail"]
                ],
            ],
            ignore_index=True,
        )
    if found.empty:
        return pd.DataFrame({column: pd.Series(dtype=STRING) for column in ROW_ACTION_COLUMNS})
    if "detail" not in found.columns:
        found["detail"] = ""
    found["detail"] = found["detail"].fillna("")
    # Order by (file, line, precedence) on integer codes: sorting 1M+ text keys is what costs.
    file_codes, _ = pd.factorize(found["file"])
    line = found["line"].astype("int64").to_numpy()
    codes = pd.Categorical(found["action"], categories=list(RANK)).codes.astype("int64")
    rank = np.where(codes >= 0, codes, len(RANK))
    row_key = file_codes.astype("int64") * (int(line.max()) + 1) + line
    order = np.lexsort((rank, row_key))
    found = found.iloc[order].assign(line=line[order]).reset_index(drop=True)
    row_key = row_key[order]
    first = np.r_[True, row_key[1:] != row_key[:-1]]
    best = found[first].set_index(["file", "line"])[["action", "detail"]]
    several = ~(first & np.r_[first[1:], True])  # rows whose (file, line) has more than one change
    if several.any():
        multi = found[several]
        multi = multi.assign(
            word=multi["entity"].map(ENTITY_WORDS).fillna("") + " " + multi["action"].str.lower()
        )
        notes = _several_changes(multi.drop_duplicates(["file", "line", "word"]), ["file", "line"])
        fill = notes.reindex(best.index)
        best["detail"] = best["detail"].where((best["detail"] != "") | fill.isna(), fill)
    return best.reset_index()[ROW_ACTION_COLUMNS]


def _several_changes(words: pd.DataFrame, keys: list[str]) -> pd.Series:
    """For rows with more than one distinct change, the changes joined ("guardian created; guardian
    link created"), built column-wise by Arrow rather than one Python join per row."""
    multi = words[words.duplicated(keys, keep=False)]
    if multi.empty:
        return pd.Series(dtype=STRING)
    position = multi.groupby(keys, sort=False).cumcount()
    wide = multi.assign(position=position).set_index([*keys, "position"])["word"].unstack()
    columns = [pa.array(wide[column].astype(STRING).array).cast(pa.large_string()) for column in wide.columns]
    joined = pc.binary_join_element_wise(*columns, pa.scalar("; ", pa.large_string()), null_handling="skip")
    return pd.Series(joined.to_numpy(zero_copy_only=False), index=wide.index, dtype=STRING)
