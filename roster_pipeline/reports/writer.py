"""Writing the results files next to an upload (a folder here; S3 in the Dagster layer)."""

from __future__ import annotations

import dataclasses
import io
import json
from collections.abc import Iterable, Iterator
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from roster_pipeline.frames import STRING
from roster_pipeline.issues import concat_issues
from roster_pipeline.plan.actions import NOT_IMPORTED
from roster_pipeline.reports.actions import not_imported_actions
from roster_pipeline.reports.escaping import escape_formulas
from roster_pipeline.reports.results import errors_only, file_results
from roster_pipeline.reports.summary import upload_summary
from roster_pipeline.validation.validate import ValidatedUpload

CSV_OPTIONS = pacsv.WriteOptions(quoting_style="needed")

# The last results file written: a set of results without it is not whole.
RESULTS_SUMMARY = "summary.csv"


def results_files(
    upload: ValidatedUpload, actions: pd.DataFrame | None = None, no_plan_action: str = ""
) -> dict[str, bytes]:
    """Every results file by name: `<file>_results.csv` per input file, `errors.csv`, `summary.csv`."""
    return dict(as_csv_bytes(iter_results_tables(upload, actions, no_plan_action)))


def iter_results_tables(
    upload: ValidatedUpload,
    actions: pd.DataFrame | None = None,
    no_plan_action: str = "",
    no_plan_detail: str = "",
) -> Iterator[tuple[str, pd.DataFrame]]:
    """The results files one at a time, as each file's name and rows, so each can be written and let
    go: at a million students they are over a gigabyte together."""
    for name, validated in upload.files.items():
        if validated.format is None:
            continue
        stem = name.removesuffix(".csv")
        yield f"{stem}_results.csv", file_results(upload, name, actions, no_plan_action, no_plan_detail)
    yield "errors.csv", errors_only(upload)
    yield RESULTS_SUMMARY, upload_summary(upload)


def iter_not_imported_tables(
    upload: ValidatedUpload, actions: pd.DataFrame, reason: str, stopped: pd.DataFrame
) -> Iterator[tuple[str, pd.DataFrame]]:
    """The results of a valid upload whose plan was stopped before the commit (a change threshold, a
    refused commit), told as a rejected upload's are: every row NOT_IMPORTED, its message saying what
    the plan would have done and ``reason``; ``stopped`` (upload-level issues) in errors.csv and as
    the summary's ``(upload)`` row. The rows keep the result validation gave them: they were valid."""
    return iter_results_tables(
        with_issues(upload, stopped),
        not_imported_actions(actions, reason),
        NOT_IMPORTED,
        f"not imported: {reason}",
    )


def as_csv_bytes(tables: Iterable[tuple[str, pd.DataFrame]]) -> Iterator[tuple[str, bytes]]:
    """Named tables as named CSV files (``csv_bytes``), one at a time."""
    for name, frame in tables:
        yield name, csv_bytes(frame)


def with_issues(upload: ValidatedUpload, extra: pd.DataFrame) -> ValidatedUpload:
    """The upload as its results describe it: its own issues and ``extra`` (the files are shared)."""
    return dataclasses.replace(upload, issues=concat_issues([upload.issues, extra]))


def write_results(
    upload: ValidatedUpload, folder: Path, actions: pd.DataFrame | None = None, no_plan_action: str = ""
) -> list[Path]:
    return write_tables(folder, iter_results_tables(upload, actions, no_plan_action))


def write_tables(folder: Path, tables: Iterable[tuple[str, pd.DataFrame]]) -> list[Path]:
    """Named tables as CSV files in a local folder, each written by Arrow straight to its file: a
    million students' enrollments results are about a gigabyte of CSV, never held as bytes here."""
    return list(write_each_table(folder, tables))


def write_each_table(folder: Path, tables: Iterable[tuple[str, pd.DataFrame]]) -> Iterator[Path]:
    """``write_tables`` a file at a time: each file is yielded once written, for a caller that
    sends it on while the next is written."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, frame in tables:
        pacsv.write_csv(_csv_table(frame), str(folder / name), CSV_OPTIONS)
        yield folder / name


def summary_json(upload: ValidatedUpload, max_issues: int = 200) -> str:
    summary = upload_summary(upload)
    issues = upload.issues
    shown = issues.head(max_issues).astype(object).where(issues.head(max_issues).notna(), None)
    document = {
        "upload": upload.location,
        "status": "ERROR" if (summary["status"] == "ERROR").any() else "SUCCESS",
        "files": summary.to_dict(orient="records"),
        "issue_count": len(issues),
        "issues_shown": len(shown),
        "issues": shown.to_dict(orient="records"),
    }
    return json.dumps(document, indent=2, ensure_ascii=False, default=int)


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """Formula-escaped RFC 4180 CSV written by Arrow (text quoted, quotes doubled), faster than pandas."""
    buffer = io.BytesIO()
    pacsv.write_csv(_csv_table(frame), buffer, CSV_OPTIONS)
    return buffer.getvalue()


def _csv_table(frame: pd.DataFrame) -> pa.Table:
    escaped = escape_formulas(frame)
    return pa.Table.from_pandas(
        escaped.astype({c: STRING for c in escaped.columns if escaped[c].dtype == object}),
        preserve_index=False,
    )
