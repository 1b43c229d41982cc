"""Every issue code the pipeline reports, in one place.

Codes are stable identifiers: districts script against them, tests pin them, and the results CSVs carry
them. Add new codes here; never rename one. ``roster-pipeline codes`` prints this table.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CodeInfo:
    severity: str
    message: str


_E = "ERROR"
_W = "WARNING"

CODES: dict[str, CodeInfo] = {
    # The upload as a whole and its files.
    "upload_not_found": CodeInfo(_E, "the upload path does not exist"),
    "upload_unreadable": CodeInfo(_E, "the upload cannot be read"),
    "upload_too_large": CodeInfo(_E, "the upload is larger than the configured maximum"),
    "no_roster_files": CodeInfo(_E, "the upload contains no roster files"),
    "file_too_large": CodeInfo(_E, "the file is larger than the configured maximum"),
    "unsafe_path": CodeInfo(_E, "the file name leaves the upload folder (absolute path or '..')"),
    "duplicate_file": CodeInfo(_E, "the same file name appears more than once in the upload"),
    "nested_archive": CodeInfo(_W, "archives inside the upload are not opened; the file was ignored"),
    "unknown_file": CodeInfo(_W, "not a roster file; it was ignored"),
    "file_ignored": CodeInfo(_W, "a OneRoster file this importer does not use; it was ignored"),
    "not_text": CodeInfo(_E, "the file is not a text CSV file (binary content)"),
    "encoding_fallback": CodeInfo(_W, "bytes that are not valid UTF-8 were read as Windows-1252"),
    "empty_file": CodeInfo(_E, "the file is empty: it needs a header row and at least one row"),
    "no_rows": CodeInfo(_E, "the file has a header but no rows"),
    "duplicate_column": CodeInfo(_E, "a column name appears more than once in the header"),
    "ragged_row": CodeInfo(_E, "the row has a different number of fields than the header"),
    "unterminated_quote": CodeInfo(_E, "a quoted field is never closed"),
    "field_too_long": CodeInfo(_E, "the value is longer than the configured maximum field length"),
    "missing_column": CodeInfo(_E, "a required column is missing from the header"),
    "header_case": CodeInfo(_W, "the column name is not spelled exactly; it was matched anyway"),
    "header_alias": CodeInfo(_W, "the column name is an alias; it was read as the standard name"),
    "unknown_column": CodeInfo(_W, "unknown column; it was kept and ignored"),
    "missing_file": CodeInfo(_E, "the manifest lists this file but the upload does not contain it"),
    "file_declared_absent": CodeInfo(_W, "the manifest declares this file absent; it was ignored"),
    "invalid_manifest_value": CodeInfo(_E, "manifest file modes must be bulk, delta or absent"),
    "references_unchecked": CodeInfo(
        _W, "the file these rows refer to is not in the upload, so the references were not checked"
    ),
    # Values in a row.
    "required_value": CodeInfo(_E, "a required value is empty"),
    "invalid_id": CodeInfo(_E, "IDs are 1-255 characters of letters, digits and . _ - / @ :"),
    "duplicate_id": CodeInfo(_E, "the ID appears more than once in the file"),
    "invalid_role": CodeInfo(_E, "unknown role"),
    "invalid_email": CodeInfo(_E, "not a valid email address"),
    "missing_email": CodeInfo(_E, "staff members need an email address"),
    "duplicate_email": CodeInfo(_E, "the email address is used by more than one staff member"),
    "invalid_grade": CodeInfo(_E, "grades must be CEDS grade levels (IT PR PK TK KG 01-13 PS UG Other)"),
    "grade_normalised": CodeInfo(_W, "the grade was written in a non-standard way and was normalised"),
    "invalid_status": CodeInfo(_E, "status must be active or tobedeleted"),
    "status_normalised": CodeInfo(_W, "status 'inactive' was read as tobedeleted"),
    "invalid_boolean": CodeInfo(_E, "booleans must be true or false"),
    "invalid_date": CodeInfo(_E, "dates must be YYYY-MM-DD"),
    "invalid_datetime": CodeInfo(_E, "date-times must be ISO 8601"),
    "invalid_date_range": CodeInfo(_E, "beginDate is after endDate"),
    "invalid_class_type": CodeInfo(_E, "classType must be homeroom or scheduled"),
    "invalid_language": CodeInfo(_E, "languages must be ISO 639-1 codes"),
    "invalid_relationship": CodeInfo(_E, "relationship must be parent, guardian, relative or other"),
    "invalid_org_type": CodeInfo(_E, "unknown org type"),
    "invalid_attribute_value": CodeInfo(_E, "the value does not fit this attribute"),
    "secret_attribute": CodeInfo(
        _W, "an attribute named like a password or a secret is never stored; the row was ignored"
    ),
    "missing_school": CodeInfo(_E, "district uploads must name the School ID on this row"),
    "unknown_school": CodeInfo(_E, "the School ID is not a school of this district"),
    "school_mismatch": CodeInfo(_E, "the enrollment's School ID differs from its class's School ID"),
    "unknown_class": CodeInfo(_E, "the class is not in classes.csv"),
    "unknown_course": CodeInfo(_E, "the course is not in courses.csv"),
    "unknown_term": CodeInfo(_E, "the term is not in academicSessions.csv"),
    "unknown_user": CodeInfo(_E, "the user is not in users.csv"),
    "unknown_student": CodeInfo(_E, "the student is not a student in users.csv"),
    "unknown_guardian": CodeInfo(_E, "the guardian is neither a guardian-type user nor in guardians.csv"),
    "role_mismatch": CodeInfo(_E, "the enrollment role does not agree with the user's role"),
    "duplicate_enrollment": CodeInfo(_E, "the same user is enrolled in the same class more than once"),
    "too_many_guardians": CodeInfo(_E, "a student can have at most 6 guardians"),
    "guardian_conflict": CodeInfo(_E, "the same guardian appears with a different name or contact"),
    "guardian_no_contact": CodeInfo(_W, "the guardian has no email or sms; the row was skipped"),
    "duplicate_attribute": CodeInfo(_E, "the attribute is given more than once for this student"),
    # A valid upload whose plan was stopped before the commit: nothing of it was imported.
    "change_threshold_exceeded": CodeInfo(
        _E,
        "the plan would archive or remove more of this entity than its change threshold allows; "
        "nothing was imported",
    ),
    "commit_refused": CodeInfo(_E, "the plan could not be committed as staged; nothing was imported"),
}
# Reported by the import (import_run.py) about a valid upload's plan, not by validation.
PLAN_CODES = frozenset({"change_threshold_exceeded", "commit_refused"})


def describe(code: str) -> str:
    return CODES[code].message


def severity_of(code: str) -> str:
    return CODES[code].severity
