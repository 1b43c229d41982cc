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
ENTITIES_ORDER = tuple(ENTITY_WORDS)
ENTITY_WORDS_ORDER = tuple(ENTITY_WORDS.values())


def row_actions(plan: StagedPlan, skipped: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per input row the plan names: (file, line, action, detail). Built on integer codes
    (file, action, entity): at a million students the plan names over ten million rows, and text
    columns that long are what memory and sorting cost."""
    files: dict[str, int] = {}
    actions = {action: code for code, action in enumerate(PRECEDENCE)}
    parts = [
        _coded(frame["file"], frame["line"], frame["action"], ENTITIES_ORDER.index(name), files, actions)
        for name, frame in plan.entities.items()
    ]
    details = []
    candidates = plan.merge_candidates.drop_duplicates("student_key")
    if len(candidates):
        flagged = _coded(
            candidates["file"],
            candidates["line"],
            pd.Series(MERGE_CANDIDATE, index=candidates.index),
            ENTITIES_ORDER.index("students"),
            files,
            actions,
        )
        parts.append(flagged)
        details.append(
            flagged[["file", "line"]].assign(
                detail=(
                    "created; looks like existing student #"
                    + candidates["existing_id"].astype(str)
                    + " (score "
                    + candidates["score"].astype(str)
                    + ": "
                    + candidates["reasons"].astype(str)
                    + ")"
                ).to_numpy()
            )
        )
    if skipped is not None and len(skipped):
        parts.append(
            _coded(
                skipped["file"],
                skipped["line"],
                pd.Series(SKIPPED, index=skipped.index),
                len(ENTITIES_ORDER),
                files,
                actions,
            )
        )
    found = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    if found.empty:
        return pd.DataFrame({column: pd.Series(dtype=STRING) for column in ROW_ACTION_COLUMNS})
    # Actions outside the precedence list rank after it, in order of appearance.
    rank = np.array([RANK.get(action, len(RANK) + code) for action, code in actions.items()], dtype="int64")
    file_code = found["file"].to_numpy()
    line = found["line"].to_numpy()
    row_key = file_code.astype("int64") * (int(line.max()) + 1) + line
    order = np.lexsort((rank[found["action"].to_numpy()], row_key))
    found = found.iloc[order].reset_index(drop=True)
    row_key = row_key[order]
    first = np.r_[True, row_key[1:] != row_key[:-1]]
    best = found[first].reset_index(drop=True)
    action_names = np.array(list(actions), dtype=object)
    result = pd.DataFrame(
        {
            "file": pd.Categorical.from_codes(best["file"].to_numpy(), categories=list(files)),
            "line": best["line"].to_numpy(),
            "action": pd.array(action_names[best["action"].to_numpy()], dtype=STRING),
        }
    )
    detail = pd.Series("", index=pd.MultiIndex.from_arrays([best["file"], best["line"]]), dtype=STRING)
    several = ~(first & np.r_[first[1:], True])  # rows whose (file, line) has more than one change
    if several.any():
        multi = found[several]
        words = (
            pd.Series(
                np.array([*ENTITY_WORDS_ORDER, ""], dtype=object)[multi["entity"].to_numpy()], dtype=STRING
            )
            + " "
            + pd.Series(action_names[multi["action"].to_numpy()], dtype=STRING).str.lower()
        )
        multi = multi[["file", "line"]].assign(word=words.to_numpy())
        notes = _several_changes(multi.drop_duplicates(["file", "line", "word"]), ["file", "line"])
        detail.loc[notes.index] = notes.to_numpy()
    for flagged_details in details:  # a merge candidate's own note wins over the list of changes
        keyed = flagged_details.set_index(["file", "line"])["detail"]
        detail.loc[keyed.index] = keyed.to_numpy()
    result["detail"] = detail.to_numpy()
    return result[ROW_ACTION_COLUMNS]


def _coded(
    file: pd.Series,
    line: pd.Series,
    action: pd.Series,
    entity: int,
    files: dict[str, int],
    actions: dict[str, int],
) -> pd.DataFrame:
    """(file, line, action, entity) as integers; ``files`` and ``actions`` grow with new names."""
    known = (file.notna() & line.notna()).to_numpy()
    file_codes, file_names = pd.factorize(file[known])
    action_codes, action_names = pd.factorize(action[known])
    file_map = np.array([files.setdefault(str(name), len(files)) for name in file_names], dtype="int32")
    action_map = np.array(
        [actions.setdefault(str(name), len(actions)) for name in action_names], dtype="int16"
    )
    return pd.DataFrame(
        {
            "file": file_map[file_codes] if len(file_map) else np.array([], dtype="int32"),
            "line": line[known].astype("int64").to_numpy(),
            "action": action_map[action_codes] if len(action_map) else np.array([], dtype="int16"),
            "entity": np.full(int(known.sum()), entity, dtype="int8"),
        }
    )


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
