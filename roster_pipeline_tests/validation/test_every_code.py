"""Every issue code has an upload that triggers it; each asserts file, line, column and code.

Each case is a tiny upload written as text: a base district (orgs with two schools) plus the files of
the case. Codes about the upload as a whole (zips, limits, S3) are covered in
`roster_pipeline_tests/upload/test_sources.py` and listed in SOURCE_CODES.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from roster_pipeline.codes import CODES, PLAN_CODES
from roster_pipeline.upload.limits import UploadLimits
from roster_pipeline.upload.sources import read_upload
from roster_pipeline.validation.scope import UploadContext
from roster_pipeline.validation.settings import ReaderSettings
from roster_pipeline.validation.validate import validate_upload

ORGS = "sourcedId,name,type\nsch-1,One,school\nsch-2,Two,school\n"
USERS = "sourcedId,role,givenName,familyName,orgSourcedIds,email\n"
STUDENT = "s1,student,Ann,Lee,sch-1,\n"
TEACHER = "t1,teacher,Tom,Tee,sch-1,tom@example.org\n"
CLASSES = "sourcedId,title,schoolSourcedId\nc1,Math,sch-1\n"
ENROLL = "classSourcedId,userSourcedId,role,schoolSourcedId,beginDate,endDate\n"
GUARDIANS = "studentSourcedId,guardianSourcedId,givenName,familyName,email,sms,relationship,language\n"
ATTRS = "studentSourcedId,attribute,value\n"

# code -> (files, expected (file, line, column)); line None for file-level issues.
CASES: dict[str, tuple[dict[str, str | bytes], tuple[str, int | None, str]]] = {
    "no_roster_files": ({"notes.csv": "a\n1\n"}, ("(upload)", None, "")),
    "unknown_file": ({"users.csv": USERS + STUDENT, "grades_export.csv": "a\n1\n"}, ("grades_export.csv", None, "")),
    "file_ignored": ({"users.csv": USERS + STUDENT, "lineItems.csv": "a\n1\n"}, ("lineItems.csv", None, "")),
    "not_text": ({"users.csv": b"\x89PNG\x00\x00"}, ("users.csv", None, "")),
    "encoding_fallback": ({"users.csv": (USERS + "s1,student,Zoë,Lee,sch-1,\n").encode("cp1252")}, ("users.csv", None, "")),
    "empty_file": ({"users.csv": ""}, ("users.csv", None, "")),
    "no_rows": ({"users.csv": USERS}, ("users.csv", 1, "")),
    "duplicate_column": ({"users.csv": "sourcedId,role,givenName,familyName,orgSourcedIds,ROLE\ns1,student,A,B,sch-1,x\n"}, ("users.csv", 1, "ROLE")),
    "ragged_row": ({"users.csv": USERS + STUDENT + "s2,student,Bo\n"}, ("users.csv", 3, "")),
    "unterminated_quote": ({"users.csv": USERS + STUDENT + 's2,student,"Bo,Lee,sch-1,\n'}, ("users.csv", 3, "")),
    "field_too_long": ({"users.csv": USERS + "s1,student," + "A" * 5000 + ",Lee,sch-1,\n"}, ("users.csv", 2, "givenName")),
    "missing_column": ({"users.csv": "sourcedId,givenName,familyName,orgSourcedIds\ns1,A,B,sch-1\n"}, ("users.csv", 1, "role")),
    "header_case": ({"users.csv": USERS.replace("givenName", "GIVENNAME") + STUDENT}, ("users.csv", 1, "GIVENNAME")),
    "header_alias": ({"users.csv": USERS.replace("givenName", "first_name") + STUDENT}, ("users.csv", 1, "first_name")),
    "unknown_column": ({"users.csv": USERS.strip() + ",shoeSize\n" + STUDENT.strip() + ",42\n"}, ("users.csv", 1, "shoeSize")),
    "missing_file": ({"manifest.csv": "propertyName,value\nfile.users,bulk\nfile.classes,bulk\n", "users.csv": USERS + STUDENT}, ("classes.csv", None, "")),
    "file_declared_absent": ({"manifest.csv": "propertyName,value\nfile.classes,absent\n", "users.csv": USERS + STUDENT, "classes.csv": CLASSES}, ("classes.csv", None, "")),
    "invalid_manifest_value": ({"manifest.csv": "propertyName,value\nfile.users,partial\n", "users.csv": USERS + STUDENT}, ("manifest.csv", 2, "value")),
    "references_unchecked": ({"enrollments.csv": ENROLL + "c1,s1,student,sch-1,,\n"}, ("enrollments.csv", None, "")),
    "required_value": ({"users.csv": USERS + "s1,student,,Lee,sch-1,\n"}, ("users.csv", 2, "givenName")),
    "invalid_id": ({"users.csv": USERS + "s 1,student,Ann,Lee,sch-1,\n"}, ("users.csv", 2, "sourcedId")),
    "duplicate_id": ({"users.csv": USERS + STUDENT + STUDENT}, ("users.csv", 3, "sourcedId")),
    "invalid_role": ({"users.csv": USERS + "s1,pupil,Ann,Lee,sch-1,\n"}, ("users.csv", 2, "role")),
    "invalid_email": ({"users.csv": USERS + "t1,teacher,Tom,Tee,sch-1,tom-at-example\n"}, ("users.csv", 2, "email")),
    "missing_email": ({"users.csv": USERS + "t1,teacher,Tom,Tee,sch-1,\n"}, ("users.csv", 2, "email")),
    "duplicate_email": ({"users.csv": USERS + TEACHER + "t2,aide,Tim,Tee,sch-1,TOM@example.org\n"}, ("users.csv", 3, "email")),
    "invalid_grade": ({"users.csv": USERS.strip() + ",grades\n" + STUDENT.strip() + ",14\n"}, ("users.csv", 2, "grades")),
    "grade_normalised": ({"users.csv": USERS.strip() + ",grades\n" + STUDENT.strip() + ",K\n"}, ("users.csv", 2, "grades")),
    "invalid_status": ({"users.csv": USERS.strip() + ",status\n" + STUDENT.strip() + ",gone\n"}, ("users.csv", 2, "status")),
    "status_normalised": ({"users.csv": USERS.strip() + ",status\n" + STUDENT.strip() + ",Inactive\n"}, ("users.csv", 2, "status")),
    "invalid_boolean": ({"users.csv": USERS.strip() + ",enabledUser\n" + STUDENT.strip() + ",yes\n"}, ("users.csv", 2, "enabledUser")),
    "invalid_date": ({"classes.csv": CLASSES, "enrollments.csv": ENROLL + "c1,t1,teacher,sch-1,2026-02-30,\n", "users.csv": USERS + TEACHER}, ("enrollments.csv", 2, "beginDate")),
    "invalid_datetime": ({"users.csv": USERS.strip() + ",dateLastModified\n" + STUDENT.strip() + ",yesterday\n"}, ("users.csv", 2, "dateLastModified")),
    "invalid_date_range": ({"classes.csv": CLASSES, "users.csv": USERS + TEACHER, "enrollments.csv": ENROLL + "c1,t1,teacher,sch-1,2026-09-01,2026-08-01\n"}, ("enrollments.csv", 2, "endDate")),
    "invalid_class_type": ({"classes.csv": "sourcedId,title,schoolSourcedId,classType\nc1,Math,sch-1,lab\n"}, ("classes.csv", 2, "classType")),
    "invalid_language": ({"users.csv": USERS + STUDENT, "guardians.csv": GUARDIANS + "s1,g1,May,Lee,may@example.org,,parent,english\n"}, ("guardians.csv", 2, "language")),
    "invalid_relationship": ({"users.csv": USERS + STUDENT, "guardians.csv": GUARDIANS + "s1,g1,May,Lee,may@example.org,,aunt,en\n"}, ("guardians.csv", 2, "relationship")),
    "invalid_org_type": ({"orgs.csv": ORGS + "x-1,Camp,campus\n"}, ("orgs.csv", 4, "type")),
    "invalid_attribute_value": ({"users.csv": USERS + STUDENT, "student_attributes.csv": ATTRS + "s1,iep,maybe\n"}, ("student_attributes.csv", 2, "value")),
    "missing_school": ({"users.csv": USERS + "s1,student,Ann,Lee,,\n"}, ("users.csv", 2, "orgSourcedIds")),
    "unknown_school": ({"classes.csv": "sourcedId,title,schoolSourcedId\nc1,Math,sch-9\n"}, ("classes.csv", 2, "schoolSourcedId")),
    "school_mismatch": ({"users.csv": USERS + TEACHER, "classes.csv": CLASSES, "enrollments.csv": ENROLL + "c1,t1,teacher,sch-2,,\n"}, ("enrollments.csv", 2, "schoolSourcedId")),
    "unknown_class": ({"users.csv": USERS + TEACHER, "classes.csv": CLASSES, "enrollments.csv": ENROLL + "c9,t1,teacher,sch-1,,\n"}, ("enrollments.csv", 2, "classSourcedId")),
    "unknown_course": ({"classes.csv": "sourcedId,title,schoolSourcedId,courseSourcedId\nc1,Math,sch-1,crs-9\n", "courses.csv": "sourcedId,title\ncrs-1,Math\n"}, ("classes.csv", 2, "courseSourcedId")),
    "unknown_term": ({"classes.csv": "sourcedId,title,schoolSourcedId,termSourcedIds\nc1,Math,sch-1,\"t1,t9\"\n", "academicSessions.csv": "sourcedId,title\nt1,2026-27\n"}, ("classes.csv", 2, "termSourcedIds")),
    "unknown_user": ({"users.csv": USERS + TEACHER, "classes.csv": CLASSES, "enrollments.csv": ENROLL + "c1,t9,teacher,sch-1,,\n"}, ("enrollments.csv", 2, "userSourcedId")),
    "unknown_student": ({"users.csv": USERS + TEACHER, "student_attributes.csv": ATTRS + "t1,ell,true\n"}, ("student_attributes.csv", 2, "studentSourcedId")),
    "unknown_guardian": ({"users.csv": USERS.strip() + ",agentSourcedIds\n" + STUDENT.strip() + ",g-404\n"}, ("users.csv", 2, "agentSourcedIds")),
    "role_mismatch": ({"users.csv": USERS + STUDENT, "classes.csv": CLASSES, "enrollments.csv": ENROLL + "c1,s1,teacher,sch-1,,\n"}, ("enrollments.csv", 2, "role")),
    "duplicate_enrollment": ({"users.csv": USERS + STUDENT, "classes.csv": CLASSES, "enrollments.csv": ENROLL + "c1,s1,student,sch-1,,\nc1,s1,student,sch-1,,\n"}, ("enrollments.csv", 3, "userSourcedId")),
    "too_many_guardians": ({"users.csv": USERS + STUDENT, "guardians.csv": GUARDIANS + "".join(f"s1,g{n},G,L,g{n}@example.org,,parent,en\n" for n in range(7))}, ("guardians.csv", 2, "studentSourcedId")),
    "guardian_conflict": ({"users.csv": USERS + STUDENT, "guardians.csv": GUARDIANS + "s1,g1,May,Lee,may@example.org,,parent,en\ns1,g1,May,Li,may@example.org,,parent,en\n"}, ("guardians.csv", 3, "guardianSourcedId")),
    "guardian_no_contact": ({"users.csv": USERS + STUDENT, "guardians.csv": GUARDIANS + "s1,g1,May,Lee,,,parent,en\n"}, ("guardians.csv", 2, "email")),
    "duplicate_attribute": ({"users.csv": USERS + STUDENT, "student_attributes.csv": ATTRS + "s1,ell,true\ns1,ell,false\n"}, ("student_attributes.csv", 3, "attribute")),
    "secret_attribute": ({"users.csv": USERS + STUDENT, "student_attributes.csv": ATTRS + "s1,ell,true\ns1,Password,hunter2\n"}, ("student_attributes.csv", 3, "attribute")),
}  # fmt: skip

# Raised or reported while collecting the upload; tested in upload/test_sources.py.
SOURCE_CODES = {
    "upload_not_found", "upload_unreadable", "upload_too_large", "file_too_large", "unsafe_path",
    "duplicate_file", "nested_archive",
}  # fmt: skip


def run_case(tmp_path: Path, files: dict[str, str | bytes]):
    folder = tmp_path / "upload"
    folder.mkdir()
    if "orgs.csv" not in files and not set(files) & {"notes.csv"}:
        (folder / "orgs.csv").write_text(ORGS)
    for name, content in files.items():
        path = folder / name
        path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    settings = ReaderSettings(limits=UploadLimits(max_field_chars=1000))
    return validate_upload(read_upload(str(folder)), UploadContext(), settings)


@pytest.mark.parametrize("code", sorted(CASES))
def test_code_is_reported_at_its_file_line_and_column(tmp_path: Path, code: str):
    files, (file, line, column) = CASES[code]
    issues = run_case(tmp_path, files).issues
    hits = issues[issues["code"] == code]
    found = [
        (row.file, None if pd.isna(row.line) else int(row.line), row.column) for row in hits.itertuples()
    ]
    assert (file, line, column) in found, issues.to_string()


@pytest.mark.parametrize("code", sorted(code for code in CASES if CODES[code].severity == "ERROR"))
def test_error_codes_reject_the_upload(tmp_path: Path, code: str):
    assert run_case(tmp_path, CASES[code][0]).has_errors


def test_the_clean_base_has_no_issues(tmp_path: Path):
    files = {
        "users.csv": USERS + STUDENT + TEACHER,
        "classes.csv": CLASSES,
        "enrollments.csv": ENROLL + "c1,t1,teacher,sch-1,2026-08-20,2027-06-10\nc1,s1,student,sch-1,,\n",
        "guardians.csv": GUARDIANS + "s1,g1,May,Lee,may@example.org,,parent,en\n",
        "student_attributes.csv": ATTRS + "s1,ell,true\ns1,birthDate,2016-01-31\n",
    }
    assert run_case(tmp_path, files).issues.empty


def test_every_code_is_covered():
    # PLAN_CODES: in roster_pipeline_tests/test_import_run.py and concurrency/test_concurrent_imports.py.
    assert set(CODES) == set(CASES) | SOURCE_CODES | PLAN_CODES


def test_a_mismatch_says_what_the_user_and_the_class_are(tmp_path: Path):
    context = UploadContext(existing_user_ids=frozenset({"t9", "s9"}), existing_student_ids=frozenset({"s9"}))
    files = {
        "orgs.csv": ORGS,
        "users.csv": USERS + STUDENT + TEACHER,
        "classes.csv": CLASSES,
        "enrollments.csv": ENROLL
        + "c1,s1,teacher,sch-1,,\nc1,t9,student,sch-1,,\nc1,s9,aide,sch-1,,\nc1,t1,teacher,sch-2,,\n",
    }
    folder = tmp_path / "upload"
    folder.mkdir()
    for name, content in files.items():
        (folder / name).write_text(content)
    issues = validate_upload(read_upload(str(folder)), context).issues
    said = issues.loc[issues["code"].isin(["role_mismatch", "school_mismatch"]), ["line", "message"]]
    assert said.astype(str).to_numpy().tolist() == [
        ["2", "enrolled as teacher but the user's role is student"],
        ["3", "enrolled as student but the user is staff in the roster"],
        ["4", "enrolled as aide but the user is a student in the roster"],
        ["5", "the class is at School ID sch-1"],
    ]
