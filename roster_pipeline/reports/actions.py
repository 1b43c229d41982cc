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
from roster_pipeline.plan.actions import (
    ARCHIVED,
    CREATED,
    MERGE_CANDIDATE,
    NOT_IMPORTED,
    PRECEDENCE,
    REMOVED,
    SKIPPED,
    UNARCHIVED,
    UNCHANGED,
    UPDATED,
)
from roster_pipeline.plan.staged_plan import PlanActions

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
# What a row's action would have done, for the results of a plan that was not imported.
WOULD_BE = {
    CREATED: "would be created",
    UPDATED: "would be updated",
    UNCHANGED: "would be left unchanged",
    ARCHIVED: "would be archived",
    UNARCHIVED: "would be unarchived",
    REMOVED: "would be removed",
    SKIPPED: "would be skipped",
    MERGE_CANDIDATE: "would be created as a merge candidate",
}


def row_actions(plan: PlanActions, skipped: pd.DataFrame | None = None) -> pd.DataFrame:
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
    # Categorical action and detail: a handful of distinct texts over up to 14M rows.
    result = pd.DataFrame(
        {
            "file": pd.Categorical.from_codes(best["file"].to_numpy(), categories=list(files)),
            "line": best["line"].to_numpy(),
            "action": pd.Categorical.from_codes(best["action"].to_numpy(), categories=list(actions)),
        }
    )
    best_key = row_key[first]  # ascending: rows were sorted by it
    noted: list[tuple[np.ndarray, np.ndarray]] = []  # (positions, notes); later ones win
    several = ~(first & np.r_[first[1:], True])  # rows whose (file, line) has more than one change
    if several.any():
        word_names = [
            f"{entity} {action.lower()}".strip() for entity in (*ENTITY_WORDS_ORDER, "") for action in actions
        ]
        word = found["entity"].to_numpy()[several].astype("int64") * len(actions)
        word += found["action"].to_numpy()[several]
        keys, notes = _several_changes(row_key[several], word, np.array(word_names, dtype=object))
        noted.append((np.searchsorted(best_key, keys), notes))
    for flagged in details:  # a merge candidate's own note wins over the list of changes
        keys = flagged["file"].to_numpy().astype("int64") * (int(line.max()) + 1) + flagged["line"].to_numpy()
        noted.append((np.searchsorted(best_key, keys), flagged["detail"].to_numpy()))
    result["detail"] = _notes_at(len(best), noted)
    return result[ROW_ACTION_COLUMNS]


def not_imported_actions(actions: pd.DataFrame, reason: str) -> pd.DataFrame:
    """``row_actions`` of a plan that was stopped (a change threshold, a refused commit): every row
    NOT_IMPORTED, its detail saying what the plan would have done and why it was not imported, so
    nobody reads "ARCHIVED" in the results of a run that changed nothing. Worked out once per distinct
    (action, detail) pair, a handful over millions of rows, and kept categorical."""
    action = pd.Categorical(actions["action"])
    detail = pd.Categorical(actions["detail"])
    width = len(detail.categories) + 1  # + 1: a missing detail (code -1) counts as ""
    pair = action.codes.astype("int64") * width + detail.codes.astype("int64") + 1
    pairs, distinct = pd.factorize(pair)
    action_names = pd.Series(np.asarray(action.categories, dtype=object)[distinct // width], dtype=STRING)
    detail_names = pd.Series(
        np.asarray(["", *detail.categories], dtype=object)[distinct % width], dtype=STRING
    )
    would = action_names.map(WOULD_BE).fillna("would be " + action_names.str.lower()).astype(STRING)
    said = detail_names.where(detail_names == "", " (" + detail_names + ")")
    texts = (would + said + "; not imported: " + reason).to_numpy(dtype=object)
    codes, categories = pd.factorize(texts)  # two pairs may read the same
    return pd.DataFrame(
        {
            "file": actions["file"].array,  # categorical stays categorical
            "line": actions["line"].to_numpy(),
            "action": pd.Categorical.from_codes(np.zeros(len(actions), dtype="int8"), [NOT_IMPORTED]),
            "detail": pd.Categorical.from_codes(codes.astype("int32")[pairs], categories=list(categories)),
        }
    )


def _notes_at(size: int, noted: list[tuple[np.ndarray, np.ndarray]]) -> pd.Categorical:
    """ "" everywhere but at the noted positions (a later note at the same position wins)."""
    codes = np.zeros(size, dtype="int32")
    if not noted:
        return pd.Categorical.from_codes(codes, categories=[""])
    positions = np.concatenate([where for where, _ in noted])
    notes = np.concatenate([np.asarray(texts, dtype=object) for _, texts in noted])
    last = len(positions) - 1 - np.unique(positions[::-1], return_index=True)[1]
    note_codes, distinct = pd.factorize(notes[last])
    codes[positions[last]] = note_codes + 1
    return pd.Categorical.from_codes(codes, categories=["", *distinct])


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


def _several_changes(
    row_key: np.ndarray, word: np.ndarray, word_names: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """For rows with more than one distinct change (``row_key`` sorted, ``word`` a code per change),
    the changes joined in order ("guardian created; guardian link created"): returns the row keys and
    their notes, joined column-wise by Arrow rather than one Python join per row."""
    distinct = ~pd.DataFrame({"row": row_key, "word": word}).duplicated().to_numpy()
    row_key, word = row_key[distinct], word[distinct]
    starts = np.flatnonzero(np.r_[True, row_key[1:] != row_key[:-1]])
    sizes = np.diff(np.r_[starts, len(row_key)])
    starts, sizes = starts[sizes > 1], sizes[sizes > 1]
    if len(starts) == 0:
        return np.array([], dtype="int64"), np.array([], dtype=object)
    columns = []
    for position in range(int(sizes.max())):
        present = sizes > position
        names = np.full(len(starts), None, dtype=object)
        names[present] = word_names[word[starts[present] + position]]
        columns.append(pa.array(names, type=pa.large_string()))
    joined = pc.binary_join_element_wise(*columns, pa.scalar("; ", pa.large_string()), null_handling="skip")
    return row_key[starts], joined.to_numpy(zero_copy_only=False)
