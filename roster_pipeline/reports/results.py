"""Per-file results: every input row with its line, result (SUCCESS, WARNING, ERROR) and message."""

from __future__ import annotations

import numpy as np
import pandas as pd

from roster_pipeline.frames import STRING, as_text, from_codes
from roster_pipeline.issues import ERROR, WARNING
from roster_pipeline.validation.validate import SUCCESS, ValidatedFile, ValidatedUpload

RESULT_COLUMNS = ["line", "result", "action", "message"]
# Issues about the header concern the whole file, not the row on the header's line.
HEADER_CODES = (
    "missing_column",
    "duplicate_column",
    "unknown_column",
    "header_case",
    "header_alias",
)


def file_results(
    upload: ValidatedUpload,
    name: str,
    actions: pd.DataFrame | None = None,
    no_plan_action: str = "",
    no_plan_detail: str = "",
) -> pd.DataFrame:
    """The file's rows as the district wrote them, each followed by what became of it: its result,
    the plan's action (``actions``: file, line, action, detail; rows it does not name get
    ``no_plan_action`` and ``no_plan_detail``) and the messages."""
    validated: ValidatedFile = upload.files[name]
    issues = upload.file_issues(name)
    rows = validated.rows
    if rows is None:
        rows = pd.DataFrame(index=pd.Index([], dtype="int64", name="line"))
    # A district's own column named like one of ours keeps its values, under a name of its own.
    rows = rows.rename(columns={name: f"{name} (as uploaded)" for name in RESULT_COLUMNS})
    is_file_level = issues["line"].isna() | issues["code"].isin(HEADER_CODES)
    by_line = _per_line(issues[~is_file_level])
    lines = rows.index.union(pd.Index(by_line.index, dtype="int64"))
    if rows.index.equals(lines):  # the usual case: no issue on a line that holds no row
        results = rows.copy(deep=False)  # columns are added, never changed in place
    else:
        results = rows.reindex(lines).fillna("").astype(STRING)
    results.insert(0, "line", lines.to_numpy())
    # Kept as Arrow strings throughout: a column set from an object array is converted value by value.
    result = by_line["result"].astype(STRING).reindex(lines).fillna(SUCCESS)
    message = by_line["message"].astype(STRING).reindex(lines).fillna("")
    file_errors = issues[is_file_level & (issues["severity"] == ERROR)]
    if len(file_errors):
        reasons = _worded(file_errors).tolist()
        result[:] = ERROR
        message = message.where(message == "", message + "; ") + "file rejected: " + "; ".join(reasons)
    results["result"] = result.array
    action = pd.Series(no_plan_action, index=lines, dtype=STRING)
    if actions is not None:
        mine = actions[actions["file"] == name].set_index("line")
        action = as_text(mine["action"]).reindex(lines).fillna(no_plan_action)
        message = _detailed(message, *_codes_at(mine["detail"], lines, no_plan_detail))
    elif no_plan_detail:
        message = _detailed(message, np.zeros(len(lines), dtype="int64"), [no_plan_detail])
    results["action"] = action.array
    results["message"] = message.array
    return results.reset_index(drop=True)


def _codes_at(values: pd.Series, lines: pd.Index, missing: str) -> tuple[np.ndarray, list[str]]:
    """A column's category codes at ``lines`` and the labels they number; lines it has no value for
    get ``missing`` (the codes are reindexed, never the text)."""
    categorical = values if isinstance(values.dtype, pd.CategoricalDtype) else values.astype("category")
    labels = [str(label) for label in categorical.cat.categories]
    codes = pd.Series(categorical.cat.codes.to_numpy(), index=values.index)
    codes = codes.reindex(lines, fill_value=len(labels)).to_numpy().astype("int64")
    return codes, [*labels, missing]


def _detailed(message: pd.Series, codes: np.ndarray, labels: list[str]) -> pd.Series:
    """Each row's detail (``labels[codes]``), then its own messages after "; ": a categorical, the
    text made only for the rows that have messages of their own. A stopped plan's detail is on every
    row (14M at a million students): spelt out, it would be gigabytes of the same few sentences."""
    own = (message != "").to_numpy()
    if own.any():
        detail = from_codes(codes[own], labels, message.index[own])
        theirs = message[own]
        joined = theirs.where(detail == "", detail + "; " + theirs)
        joined_codes, joined_labels = pd.factorize(joined)
        codes = codes.copy()
        codes[own] = len(labels) + joined_codes
        labels = [*labels, *joined_labels]
    label_codes, distinct = pd.factorize(pd.Series(labels, dtype=STRING))  # a detail may equal a joined one
    return pd.Series(pd.Categorical.from_codes(label_codes[codes], categories=distinct), index=message.index)


def _worded(issues: pd.DataFrame) -> pd.Series:
    return issues["column"].where(issues["column"] == "", issues["column"] + ": ") + issues["message"]


def _per_line(issues: pd.DataFrame) -> pd.DataFrame:
    """Worst severity and every message, per line (only lines with issues pass through here)."""
    if issues.empty:
        return pd.DataFrame(
            {"result": pd.array([], STRING), "message": pd.array([], STRING)},
            index=pd.Index([], dtype="int64"),
        )
    worded = _worded(issues)
    frame = pd.DataFrame(
        {
            "line": issues["line"].astype("int64").to_numpy(),
            "error": (issues["severity"] == ERROR).to_numpy(),
            "message": worded.to_numpy(),
        }
    )
    grouped = frame.groupby("line", sort=True)
    return pd.DataFrame(
        {
            "result": grouped["error"].any().map({True: ERROR, False: WARNING}),
            "message": grouped["message"].agg("; ".join),
        }
    )


def errors_only(upload: ValidatedUpload) -> pd.DataFrame:
    return upload.issues[upload.issues["severity"] == ERROR].reset_index(drop=True)
