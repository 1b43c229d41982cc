"""The per-file summary: status, rows, errors and warnings; what the CLI table and JSON show."""

from __future__ import annotations

import pandas as pd

from roster_pipeline.issues import ERROR, WARNING
from roster_pipeline.upload.members import UPLOAD
from roster_pipeline.validation.validate import SUCCESS, ValidatedUpload

SUMMARY_COLUMNS = ["file", "status", "rows", "errors", "warnings"]


def upload_summary(upload: ValidatedUpload) -> pd.DataFrame:
    issues = upload.issues
    counts = (
        pd.crosstab(issues["file"], issues["severity"])
        if len(issues)
        else pd.DataFrame(columns=[ERROR, WARNING])
    )
    names = list(upload.files)
    extra = [name for name in issues["file"].unique() if name not in upload.files]
    names = [name for name in extra if name == UPLOAD] + names
    names += [name for name in extra if name != UPLOAD]
    rows = []
    for name in names:
        validated = upload.files.get(name)
        errors = int(counts[ERROR].get(name, 0)) if ERROR in counts else 0
        warnings = int(counts[WARNING].get(name, 0)) if WARNING in counts else 0
        data_rows = len(validated.rows) if validated is not None and validated.rows is not None else 0
        status = ERROR if errors else SUCCESS
        rows.append((name, status, data_rows, errors, warnings))
    return pd.DataFrame(rows, columns=SUMMARY_COLUMNS)


def overall_status(summary: pd.DataFrame) -> str:
    return ERROR if (summary["status"] == ERROR).any() else SUCCESS
