"""Validate a whole upload: each file's header and values, then the rules across files.

The result keeps, per file, the rows as the district wrote them (for the results CSVs) and a frame with
standard column names and normalised values (for matching), plus one issues table for everything.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import PurePosixPath

import pandas as pd

from roster_pipeline.codes import severity_of
from roster_pipeline.frames import is_in
from roster_pipeline.issues import ERROR, Issue, concat_issues, empty_issues, issues_from, row_issues
from roster_pipeline.schemas.aliases import aliases_for
from roster_pipeline.schemas.file_format import FileFormat
from roster_pipeline.schemas.registry import IGNORED_ONEROSTER_FILES, ROSTER_FILES, format_for
from roster_pipeline.upload.csv_reader import read_csv_table
from roster_pipeline.upload.headers import EXTENSION_PREFIX, match_headers
from roster_pipeline.upload.manifest import ABSENT, BULK, DELTA, MANIFEST, Manifest, parse_manifest
from roster_pipeline.upload.members import UPLOAD, UploadFiles
from roster_pipeline.validation.cross_file import cross_file_issues
from roster_pipeline.validation.file_rules import HIDDEN, SECRET_COLUMNS, row_rules, schema_issues
from roster_pipeline.validation.normalise import normalise_values
from roster_pipeline.validation.scope import DISTRICT, UploadContext
from roster_pipeline.validation.settings import ReaderSettings

SUCCESS = "SUCCESS"
# Header words that mark a column as secret even when it is not a standard one ("userPassword").
SECRET_WORDS = ("password", "passwd", "secret")


@dataclass
class ValidatedFile:
    """One file of the upload. ``rows`` are the input rows as written (secrets removed), indexed by
    line; ``frame`` has standard columns and normalised values. Both are None when unreadable, and
    ``frame`` is once an import's plan is built (``ValidatedUpload.without_frames``).
    ``as_written`` maps each standard column of ``frame`` to its header as written in the file."""

    name: str
    format: FileFormat | None = None
    mode: str = BULK
    header: list[str] = field(default_factory=list)
    rows: pd.DataFrame | None = None
    frame: pd.DataFrame | None = None
    as_written: dict[str, str] = field(default_factory=dict)

    def __getstate__(self) -> dict:
        # The format's checks hold lambdas; it travels by name (Dagster pickles asset values).
        return {**self.__dict__, "format": self.format.name if self.format else None}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state, format=format_for(state["format"]) if state["format"] else None)


@dataclass
class ValidatedUpload:
    location: str
    context: UploadContext
    manifest: Manifest
    files: dict[str, ValidatedFile]
    issues: pd.DataFrame

    @property
    def has_errors(self) -> bool:
        return bool((self.issues["severity"] == ERROR).any())

    def frame(self, name: str) -> pd.DataFrame | None:
        validated = self.files.get(name)
        return None if validated is None else validated.frame

    def file_issues(self, name: str) -> pd.DataFrame:
        return self.issues[self.issues["file"] == name]

    def without_frames(self) -> ValidatedUpload:
        """The upload without its normalised frames: what the results need once the plan is built
        (the rows as written, the issues). At a million students they are 0.4 GB of its peak memory."""
        files = {name: replace(item, frame=None) for name, item in self.files.items()}
        return replace(self, files=files)


def validate_upload(
    upload: UploadFiles,
    context: UploadContext | None = None,
    settings: ReaderSettings | None = None,
) -> ValidatedUpload:
    context = context or UploadContext()
    settings = settings or ReaderSettings()
    issues: list[pd.DataFrame] = [upload.issues_frame()]
    notes: list[Issue] = []
    files: dict[str, ValidatedFile] = {}

    manifest = Manifest()
    manifest_name = _find(upload, MANIFEST)
    if manifest_name is not None:
        # Named as every other file is, by its standard name: MANIFEST.CSV's results are manifest_results.csv.
        validated, file_issues = _validate_file(
            MANIFEST, upload.files[manifest_name], format_for(MANIFEST), context, settings
        )
        files[validated.name] = validated
        issues.append(file_issues)
        if validated.frame is not None:
            manifest, manifest_issues = parse_manifest(validated.frame, validated.name)
            issues.append(columns_as_written(manifest_issues, files))

    to_read = []
    for name, data in upload.files.items():
        fmt = format_for(name)
        if name == manifest_name:
            continue
        if fmt is None:
            ignored = name.lower() in IGNORED_ONEROSTER_FILES
            notes.append(Issue(name, "file_ignored" if ignored else "unknown_file"))
            files[name] = ValidatedFile(name)
            continue
        mode = manifest.mode_of(fmt.key)
        if mode == ABSENT:
            notes.append(Issue(fmt.name, "file_declared_absent"))
            continue
        to_read.append((fmt, data, mode))
    # Two files at a time: Arrow parses and checks without holding the GIL, so the second core helps.
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="validate") as pool:
        checked = pool.map(
            lambda item: _validate_file(item[0].name, item[1], item[0], context, settings), to_read
        )
        for (fmt, _, mode), (validated, file_issues) in zip(to_read, checked, strict=True):
            validated.mode = mode
            files[fmt.name] = validated
            issues.append(file_issues)

    # A file the source would not read (too large, an unsafe name, a link) is reported as such, not
    # also as missing.
    refused = {name.lower() for item in upload.issues for name in (item.file, PurePosixPath(item.value).name)}
    for key, mode in manifest.modes.items():
        fmt = format_for(key)
        if mode != ABSENT and fmt is not None and fmt.name not in files and fmt.key not in refused:
            notes.append(Issue(fmt.name, "missing_file", message=f"the manifest says {mode}"))
    readable = {name: item.frame for name, item in files.items() if item.frame is not None}
    # An upload that could not be read at all (unreadable, too large) has its error already.
    unread = not upload.files and any(severity_of(item.code) == ERROR for item in upload.issues)
    if not any(name in files for name in (*ROSTER_FILES, "orgs.csv")) and not unread:
        notes.append(Issue(UPLOAD, "no_roster_files"))
    delta_files = frozenset(name for name, item in files.items() if item.mode == DELTA)
    unread_files = frozenset(name for name, item in files.items() if item.format and item.frame is None)
    issues.append(columns_as_written(cross_file_issues(readable, context, delta_files, unread_files), files))
    issues.append(issues_from(notes))
    return ValidatedUpload(upload.location, context, manifest, files, _sorted(concat_issues(issues)))


def _find(upload: UploadFiles, standard: str) -> str | None:
    return next((name for name in upload.files if name.lower() == standard), None)


def _validate_file(
    name: str,
    data: bytes,
    fmt: FileFormat,
    context: UploadContext,
    settings: ReaderSettings,
) -> tuple[ValidatedFile, pd.DataFrame]:
    table = read_csv_table(name, data, settings.limits)
    validated = ValidatedFile(name, fmt, header=table.header)
    issues = [table.issues]
    if table.frame is None:
        return validated, concat_issues(issues)
    match = match_headers(name, table.header, fmt.columns, aliases_for(settings.header_aliases, fmt.name))
    issues.append(issues_from(match.issues))
    secrets = _secret_columns(table.header, match.rename)
    validated.rows = table.frame.drop(columns=secrets)
    issues[0] = _hide_secret_values(table.issues, secrets)

    wide = fmt.name == "student_attributes.csv" and _is_wide(match.rename)
    required = set(fmt.required) - ({"attribute", "value"} if wide else set())
    if context.scope == DISTRICT:
        required |= set(fmt.district_required)
    missing = sorted(required - set(match.rename.values()), key=fmt.columns.index)
    if missing:
        issues.append(issues_from(Issue(name, "missing_column", line=1, column=column) for column in missing))
        return validated, concat_issues(issues)

    keep = {written: standard for written, standard in match.rename.items() if standard not in SECRET_COLUMNS}
    extensions = [column for column in match.unknown if column.lower().startswith(EXTENSION_PREFIX)]
    frame = table.frame[[*keep, *extensions]].rename(columns=keep)
    if wide:
        # An unnamed column (a trailing comma in the header) names no attribute, and a password column
        # is never one: both stay unknown columns, and a password's values are never read.
        attributes = [column for column in match.unknown if column and column not in secrets]
        issues = [_drop_attribute_column_warnings(concat_issues(issues), attributes)]
        frame = _wide_to_long(table.frame, keep, attributes)
    elif fmt.name == "student_attributes.csv":
        frame, secret_rows = _without_secret_attributes(name, frame, validated, keep)
        issues.append(secret_rows)
    frame, normalised = normalise_values(name, frame)
    value_issues = concat_issues([normalised, schema_issues(fmt, frame), row_rules(fmt, frame, context)])
    validated.as_written = {standard: written for written, standard in keep.items()}
    validated.frame = frame
    return validated, concat_issues([*issues, columns_as_written(value_issues, {name: validated})])


def _secret_columns(header: list[str], rename: dict[str, str]) -> list[str]:
    """Columns whose values must never be echoed: the standard secret columns however they are
    written (a second "Password" column too) and anything named like a password or a secret."""
    standard = {written for written, name in rename.items() if name in SECRET_COLUMNS}
    named = {name for name in header if _named_like_a_secret(name)}
    return [name for name in dict.fromkeys(header) if name in standard | named]


def _named_like_a_secret(name: str) -> bool:
    return any(word in name.lower() for word in SECRET_WORDS)


def _without_secret_attributes(
    name: str, frame: pd.DataFrame, validated: ValidatedFile, keep: dict[str, str]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Rows of an attribute named like a password or a secret: left out, reported, and their value
    hidden from the rows the results echo (a wide file's such column is never read at all)."""
    names = frame["attribute"].dropna().unique()  # a few dozen names, however many rows
    secret = is_in(frame["attribute"], [name for name in names if _named_like_a_secret(name)])
    if not secret.any():
        return frame, empty_issues()
    written = next(column for column, standard in keep.items() if standard == "value")
    validated.rows.loc[secret[secret].index, written] = HIDDEN
    found = row_issues(
        name, frame.index[secret], "attribute", frame.loc[secret, "attribute"], "secret_attribute"
    )
    return frame[~secret], found


def _hide_secret_values(issues: pd.DataFrame, secrets: list[str]) -> pd.DataFrame:
    """A reader issue quotes a value (field_too_long) or a whole raw line (ragged_row): either may be
    a password when the file has a secret column."""
    if not secrets or issues.empty:
        return issues
    hidden = issues["column"].isin(secrets) | (issues["code"] == "ragged_row")
    return issues.assign(value=issues["value"].mask(hidden & (issues["value"] != ""), HIDDEN))


def columns_as_written(issues: pd.DataFrame, files: dict[str, ValidatedFile]) -> pd.DataFrame:
    """Name each issue's column by its header as written in its file, so the issue points at it."""
    issues = issues.copy()
    for name, validated in files.items():
        rows = issues["file"] == name
        if validated.as_written and rows.any():
            issues.loc[rows, "column"] = issues.loc[rows, "column"].replace(validated.as_written)
    return issues


def _is_wide(rename: dict[str, str]) -> bool:
    standard = set(rename.values())
    return "studentSourcedId" in standard and not standard & {"attribute", "value"}


def _wide_to_long(rows: pd.DataFrame, keep: dict[str, str], attributes: list[str]) -> pd.DataFrame:
    """One row per non-empty attribute cell; the line stays the wide row's line."""
    student = next(written for written, standard in keep.items() if standard == "studentSourcedId")
    long = rows[[student, *attributes]].melt(
        id_vars=student, var_name="attribute", value_name="value", ignore_index=False
    )
    long = long.rename(columns={student: "studentSourcedId"})
    long = long[long["value"] != ""].sort_index(kind="stable")
    long["attribute"] = long["attribute"].astype(rows[student].dtype)
    long["value"] = long["value"].astype(rows[student].dtype)
    long["(column)"] = long["attribute"]
    return long


def _drop_attribute_column_warnings(issues: pd.DataFrame, attributes: list[str]) -> pd.DataFrame:
    return issues[~((issues["code"] == "unknown_column") & issues["column"].isin(attributes))]


def _sorted(issues: pd.DataFrame) -> pd.DataFrame:
    ordered = issues.assign(_upload=issues["file"] != UPLOAD)
    ordered = ordered.sort_values(["_upload", "file", "line"], kind="stable", na_position="first")
    return ordered.drop(columns="_upload").reset_index(drop=True)
