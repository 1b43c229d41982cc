"""Rules inside one file: the Pandera schema (run lazily, so every failure is reported), then the rules
that depend on more than one column of the same row or on the upload's scope."""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa

from roster_pipeline.frames import is_in, row_keys
from roster_pipeline.issues import concat_issues, empty_issues, row_issues
from roster_pipeline.schemas.checks import is_date
from roster_pipeline.schemas.file_format import FileFormat
from roster_pipeline.schemas.vocabularies import (
    BOOLEAN_ATTRIBUTES,
    BOOLEANS,
    GUARDIAN_ROLES,
    ISO_639_1,
    STAFF_ROLES,
)
from roster_pipeline.validation.scope import DISTRICT, UploadContext

SECRET_COLUMNS = frozenset({"password"})
HIDDEN = "(hidden)"


def schema_issues(fmt: FileFormat, frame: pd.DataFrame) -> pd.DataFrame:
    """Every value that breaks a column rule, as issues (the code is the check's name)."""
    present = [column for column in fmt.columns if column in frame.columns]
    if frame.empty or not present:
        return empty_issues()
    try:
        fmt.schema.validate(frame[present], lazy=True, inplace=True)
    except pa.errors.SchemaErrors as errors:
        return _failures_to_issues(fmt.name, errors.failure_cases)
    return empty_issues()


def _failures_to_issues(file: str, failures: pd.DataFrame) -> pd.DataFrame:
    failures = failures[failures["index"].notna()]
    frames = []
    for (column, code), group in failures.groupby(["column", "check"], sort=False):
        values = group["failure_case"].astype("string").fillna("")
        if column in SECRET_COLUMNS:
            values = pd.Series(HIDDEN, index=values.index, dtype="string")
        frames.append(row_issues(file, group["index"].astype("int64"), str(column), values, str(code)))
    return concat_issues(frames)


def row_rules(fmt: FileFormat, frame: pd.DataFrame, context: UploadContext) -> pd.DataFrame:
    """Rules that look at several columns of a row, or at the upload's scope."""
    rules = {
        "users.csv": _user_rules,
        "classes.csv": _class_rules,
        "enrollments.csv": _enrollment_rules,
        "guardians.csv": _guardian_rules,
        "student_attributes.csv": _attribute_rules,
    }.get(fmt.name)
    if rules is None or frame.empty:
        return empty_issues()
    return concat_issues(rules(fmt.name, frame, context))


def _missing_school(file: str, frame: pd.DataFrame, column: str, rows: pd.Series, context):
    if context.scope != DISTRICT or column not in frame.columns:
        return empty_issues()
    empty = rows & (frame[column] == "")
    return row_issues(file, frame.index[empty], column, frame.loc[empty, column], "missing_school")


def _user_rules(file: str, frame: pd.DataFrame, context: UploadContext) -> list[pd.DataFrame]:
    staff = is_in(frame["role"], STAFF_ROLES)
    not_guardian = ~is_in(frame["role"], GUARDIAN_ROLES)
    issues = [_missing_school(file, frame, "orgSourcedIds", not_guardian, context)]
    email = frame["email"] if "email" in frame.columns else pd.Series("", index=frame.index)
    missing = staff & (email == "")
    issues.append(row_issues(file, frame.index[missing], "email", email[missing], "missing_email"))
    lowered = email.str.lower()
    shared = staff & (email != "") & lowered.where(staff).duplicated(keep="first")
    issues.append(
        row_issues(
            file,
            frame.index[shared],
            "email",
            email[shared],
            "duplicate_email",
            message=_first_line_message(lowered.where(staff), shared, "the email address"),
        )
    )
    return issues


def _class_rules(file: str, frame: pd.DataFrame, context: UploadContext) -> list[pd.DataFrame]:
    every = pd.Series(True, index=frame.index)
    return [_missing_school(file, frame, "schoolSourcedId", every, context)]


def _enrollment_rules(file: str, frame: pd.DataFrame, context: UploadContext) -> list[pd.DataFrame]:
    every = pd.Series(True, index=frame.index)
    issues = [_missing_school(file, frame, "schoolSourcedId", every, context)]
    pair = row_keys(frame["classSourcedId"], frame["userSourcedId"])
    repeated = pair.duplicated(keep="first")
    issues.append(
        row_issues(
            file,
            frame.index[repeated],
            "userSourcedId",
            frame.loc[repeated, "userSourcedId"],
            "duplicate_enrollment",
            message=_first_line_message(pair, repeated, "this class and user"),
        )
    )
    if {"beginDate", "endDate"} <= set(frame.columns):
        begin, end = frame["beginDate"], frame["endDate"]
        both = is_date(begin) & is_date(end)
        backwards = both & (begin > end)
        issues.append(
            row_issues(
                file,
                frame.index[backwards],
                "endDate",
                end[backwards],
                "invalid_date_range",
                message="endDate " + end[backwards] + " is before beginDate " + begin[backwards],
            )
        )
    return issues


CONTACT_COLUMNS = ("givenName", "familyName", "email", "sms", "phone")


def _guardian_rules(file: str, frame: pd.DataFrame, context: UploadContext) -> list[pd.DataFrame]:
    email = frame.get("email", pd.Series("", index=frame.index))
    sms = frame.get("sms", pd.Series("", index=frame.index))
    no_contact = (email == "") & (sms == "")
    issues = [row_issues(file, frame.index[no_contact], "email", email[no_contact], "guardian_no_contact")]
    signature = row_keys(*(frame[column] for column in CONTACT_COLUMNS if column in frame.columns))
    guardian = row_keys(frame["guardianSourcedId"])
    first = signature.groupby(guardian, sort=False).transform("first")
    conflict = signature != first
    named = frame.loc[conflict, "guardianSourcedId"]
    first_line = _first_lines(guardian, conflict).astype(str)
    message = "guardian " + named + " differs in name or contact from line " + first_line
    issues.append(
        row_issues(file, frame.index[conflict], "guardianSourcedId", named, "guardian_conflict", message)
    )
    return issues


def _attribute_rules(file: str, frame: pd.DataFrame, context: UploadContext) -> list[pd.DataFrame]:
    # A wide file has one column per attribute: its "(column)" names the header each value came from.
    column = frame.get("(column)")
    pair = row_keys(frame["studentSourcedId"], frame["attribute"])
    repeated = pair.duplicated(keep="first")
    issues = [
        row_issues(
            file,
            frame.index[repeated],
            "attribute" if column is None else column[repeated],
            frame.loc[repeated, "attribute"],
            "duplicate_attribute",
        )
    ]
    name, value = frame["attribute"], frame["value"]
    boolean = is_in(name, BOOLEAN_ATTRIBUTES) & (value != "")
    bad_boolean = boolean & ~is_in(value.str.lower(), BOOLEANS)
    bad_date = (name == "birthDate") & (value != "") & ~is_date(value)
    bad_language = (name == "homeLanguage") & (value != "") & ~is_in(value.str.lower(), ISO_639_1)
    bad = bad_boolean | bad_date | bad_language
    message = pd.Series("true or false expected", index=frame.index, dtype="string")
    message[bad_date] = "a date YYYY-MM-DD expected"
    message[bad_language] = "an ISO 639-1 language code expected"
    issues.append(
        row_issues(
            file,
            frame.index[bad],
            "value" if column is None else column[bad],
            value[bad],
            "invalid_attribute_value",
            message=name[bad] + ": " + message[bad],
        )
    )
    return issues


def _first_line_message(keys: pd.Series, repeated: pd.Series, what: str) -> pd.Series:
    """'… also on line N' for each repeated row, N being the first row with the same key."""
    return f"{what} is already on line " + _first_lines(keys, repeated).astype(str)


def _first_lines(keys: pd.Series, rows: pd.Series) -> pd.Series:
    """For each of ``rows``, the line of the first row with its key (grouped only when there are any)."""
    if not rows.any():
        return pd.Series([], index=keys.index[:0], dtype="int64")
    return pd.Series(keys.index, index=keys.index).groupby(keys, sort=False).transform("first")[rows]
