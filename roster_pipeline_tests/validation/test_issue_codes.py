"""Every issue code, triggered by a small upload a person can read, reported at its file, line and column.

Most codes have a fixture folder `roster_pipeline_tests/fixtures/bad_uploads/<code>/`: the CSV files of a
tiny district upload, `expected.csv` (`file,line,column,code`; line empty for file-level issues, column
empty when the issue has none) and, when needed, `context.toml` (`scope`, `school_ids`, `existing_*_ids`).
Codes that need binary content, a zip, size limits or an unreadable upload are tested by name below and
listed in IN_CODE_TESTS. `_clean` is the control: the same district with nothing wrong.
"""

from __future__ import annotations

import csv
import shutil
import tomllib
import zipfile
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from roster_pipeline.codes import CODES, PLAN_CODES
from roster_pipeline.issues import ERROR
from roster_pipeline.upload.errors import UploadUnreadable
from roster_pipeline.upload.limits import UploadLimits
from roster_pipeline.upload.sources import read_upload
from roster_pipeline.validation.scope import UploadContext
from roster_pipeline.validation.settings import ReaderSettings
from roster_pipeline.validation.validate import ValidatedUpload, validate_upload

BAD_UPLOADS = Path(__file__).parents[1] / "fixtures" / "bad_uploads"
CLEAN = "_clean"
EXPECTED = "expected.csv"
CONTEXT = "context.toml"
FIXTURE_CODES = sorted(
    path.name for path in BAD_UPLOADS.iterdir() if path.is_dir() and not path.name.startswith("_")
)

# Codes covered by a named test in this file, and the test that covers each.
IN_CODE_TESTS = {
    "not_text": "test_not_text",
    "encoding_fallback": "test_encoding_fallback",
    "field_too_long": "test_field_too_long",
    "file_too_large": "test_file_too_large",
    "upload_too_large": "test_upload_too_large",
    "upload_not_found": "test_upload_not_found",
    "upload_unreadable": "test_upload_unreadable",
    "unsafe_path": "test_unsafe_path",
    "nested_archive": "test_nested_archive",
    "duplicate_file": "test_duplicate_file",
}
IN_CODE_CODES = set(IN_CODE_TESTS)

Row = tuple[str, int | None, str, str]

USERS_HEADER = "sourcedId,role,givenName,familyName,orgSourcedIds,email\n"
STUDENT = "stu-1,student,Ann,Lee,sch-1,\n"
ORGS = (BAD_UPLOADS / CLEAN / "orgs.csv").read_text(encoding="utf-8")


# --- helpers ------------------------------------------------------------------------------------------


def load_context(folder: Path) -> UploadContext:
    path = folder / CONTEXT
    if not path.exists():
        return UploadContext()
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return UploadContext(
        **{key: frozenset(value) if isinstance(value, list) else value for key, value in data.items()}
    )


def expected_rows(folder: Path) -> list[Row]:
    with (folder / EXPECTED).open(newline="", encoding="utf-8") as handle:
        return [
            (row["file"], int(row["line"]) if row["line"] else None, row["column"], row["code"])
            for row in csv.DictReader(handle)
        ]


def reported(issues: pd.DataFrame) -> set[Row]:
    return {
        (row.file, None if pd.isna(row.line) else int(row.line), row.column, row.code)
        for row in issues.itertuples()
    }


def validate_folder(
    folder: Path, context: UploadContext | None = None, limits: UploadLimits | None = None
) -> ValidatedUpload:
    settings = ReaderSettings(limits=limits or UploadLimits())
    return validate_upload(read_upload(str(folder), limits), context or UploadContext(), settings)


def write_upload(folder: Path, files: dict[str, str | bytes]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        data = content if isinstance(content, bytes) else content.encode("utf-8")
        (folder / name).write_bytes(data)
    return folder


def make_zip(path: Path, members: dict[str, str | bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return path


def found(result: ValidatedUpload) -> str:
    return result.issues[["file", "line", "column", "value", "code"]].to_string()


@pytest.fixture(scope="module")
def validated(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], ValidatedUpload]:
    """Validate a fixture folder once per module (a copy without expected.csv and context.toml)."""
    cache: dict[str, ValidatedUpload] = {}

    def run(name: str) -> ValidatedUpload:
        if name not in cache:
            folder = BAD_UPLOADS / name
            upload = tmp_path_factory.mktemp("upload") / name
            shutil.copytree(folder, upload, ignore=shutil.ignore_patterns(EXPECTED, CONTEXT))
            cache[name] = validate_folder(upload, load_context(folder))
        return cache[name]

    return run


# --- the fixture folders ------------------------------------------------------------------------------


@pytest.mark.parametrize("code", FIXTURE_CODES)
def test_fixture_reports_its_code_at_the_expected_file_line_and_column(validated, code: str):
    expected = expected_rows(BAD_UPLOADS / code)
    assert any(row[3] == code for row in expected), f"{code}/expected.csv does not list {code}"
    result = validated(code)
    missing = [row for row in expected if row not in reported(result.issues)]
    assert not missing, f"not reported: {missing}\nreported:\n{found(result)}"


@pytest.mark.parametrize("code", FIXTURE_CODES)
def test_fixture_issues_carry_the_severity_of_their_code(validated, code: str):
    issues = validated(code).issues
    for row in issues.itertuples():
        assert row.severity == CODES[row.code].severity, row


@pytest.mark.parametrize("code", FIXTURE_CODES)
def test_error_codes_reject_the_upload_and_warnings_alone_do_not(validated, code: str):
    result = validated(code)
    expected_codes = {row[3] for row in expected_rows(BAD_UPLOADS / code)}
    if any(CODES[expected].severity == ERROR for expected in expected_codes):
        assert result.has_errors, found(result)
    else:
        assert not result.has_errors, found(result)


def test_the_clean_control_upload_has_no_errors(validated):
    result = validated(CLEAN)
    assert not result.has_errors
    assert (result.issues["severity"] != ERROR).all(), found(result)
    assert set(result.files) >= {"orgs.csv", "users.csv", "classes.csv", "enrollments.csv"}


def test_every_code_is_covered_by_a_fixture_folder_or_a_named_test():
    assert set(FIXTURE_CODES) <= set(CODES), set(FIXTURE_CODES) - set(CODES)
    for code, test_name in IN_CODE_TESTS.items():
        assert callable(globals().get(test_name)), f"{code}: no test named {test_name}"
    # PLAN_CODES are about a valid upload's plan: roster_pipeline_tests/test_import_run.py.
    assert set(CODES) == set(FIXTURE_CODES) | IN_CODE_CODES | PLAN_CODES


# --- codes that need bytes, zips, limits or an unreadable upload -------------------------------------


def test_not_text(tmp_path: Path):
    users = (USERS_HEADER + STUDENT).encode("utf-8").replace(b"Ann", b"A\x00nn")
    result = validate_folder(write_upload(tmp_path / "up", {"orgs.csv": ORGS, "users.csv": users}))
    assert ("users.csv", None, "", "not_text") in reported(result.issues), found(result)
    assert result.has_errors


def test_encoding_fallback(tmp_path: Path):
    users = (USERS_HEADER + "stu-1,student,Zoë,Nuñez,sch-1,\n").encode("cp1252")
    result = validate_folder(write_upload(tmp_path / "up", {"orgs.csv": ORGS, "users.csv": users}))
    assert reported(result.issues) == {("users.csv", None, "", "encoding_fallback")}, found(result)
    assert not result.has_errors
    assert result.frame("users.csv")["givenName"].tolist() == ["Zoë"]


def test_a_utf8_bom_is_ignored(tmp_path: Path):
    users = b"\xef\xbb\xbf" + (USERS_HEADER + STUDENT).encode("utf-8")
    result = validate_folder(write_upload(tmp_path / "up", {"orgs.csv": ORGS, "users.csv": users}))
    assert result.issues.empty, found(result)
    assert result.frame("users.csv")["sourcedId"].tolist() == ["stu-1"]


def test_field_too_long(tmp_path: Path):
    users = USERS_HEADER + "stu-1,student," + "A" * 41 + ",Lee,sch-1,\n"
    upload = write_upload(tmp_path / "up", {"orgs.csv": ORGS, "users.csv": users})
    result = validate_folder(upload, limits=UploadLimits(max_field_chars=40))
    assert reported(result.issues) == {("users.csv", 2, "givenName", "field_too_long")}, found(result)
    assert result.has_errors


def test_file_too_large(tmp_path: Path):
    users = USERS_HEADER + "".join(f"stu-{n},student,Ann,Lee,sch-1,\n" for n in range(20))
    upload = write_upload(tmp_path / "up", {"orgs.csv": ORGS, "users.csv": users})
    result = validate_folder(upload, limits=UploadLimits(max_file_bytes=300))
    assert ("users.csv", None, "", "file_too_large") in reported(result.issues), found(result)
    assert "users.csv" not in result.files
    assert result.has_errors


def test_upload_too_large(tmp_path: Path):
    upload = write_upload(tmp_path / "up", {"orgs.csv": ORGS, "users.csv": USERS_HEADER + STUDENT})
    with pytest.raises(UploadUnreadable) as raised:
        read_upload(str(upload), UploadLimits(max_upload_bytes=150))
    assert raised.value.code == "upload_too_large"


def test_an_upload_holding_only_a_nested_archive_has_no_roster_files(tmp_path: Path):
    # The archive is a warning of the source: the upload must still be refused for having no roster file.
    with zipfile.ZipFile(tmp_path / "inner.zip", "w") as inner:
        inner.writestr("users.csv", "sourcedId,role\nstu-1,student\n")
    issues = validate_upload(read_upload(str(tmp_path))).issues
    assert sorted(zip(issues["file"], issues["code"], issues["severity"], strict=True)) == [
        ("(upload)", "no_roster_files", ERROR),
        ("inner.zip", "nested_archive", "WARNING"),
    ]


def test_upload_not_found(tmp_path: Path):
    with pytest.raises(UploadUnreadable) as raised:
        read_upload(str(tmp_path / "no-such-upload"))
    assert raised.value.code == "upload_not_found"


@pytest.mark.parametrize(
    ("name", "content"),
    [("roster.txt", b"sourcedId\nstu-1\n"), ("roster.zip", b"PK\x03\x04 not really a zip")],
)
def test_upload_unreadable(tmp_path: Path, name: str, content: bytes):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(UploadUnreadable) as raised:
        read_upload(str(path))
    assert raised.value.code == "upload_unreadable"


def test_unsafe_path(tmp_path: Path):
    members = {"orgs.csv": ORGS, "users.csv": USERS_HEADER + STUDENT, "../classes.csv": "sourcedId\nx\n"}
    result = validate_folder(make_zip(tmp_path / "upload.zip", members))
    assert ("(upload)", None, "", "unsafe_path") in reported(result.issues), found(result)
    assert result.issues.loc[result.issues["code"] == "unsafe_path", "value"].tolist() == ["../classes.csv"]
    assert "classes.csv" not in result.files
    assert result.has_errors


def test_nested_archive(tmp_path: Path):
    members = {"orgs.csv": ORGS, "users.csv": USERS_HEADER + STUDENT, "old/last_year.zip": b"PK"}
    result = validate_folder(make_zip(tmp_path / "upload.zip", members))
    assert reported(result.issues) == {("last_year.zip", None, "", "nested_archive")}, found(result)
    assert not result.has_errors


def test_duplicate_file(tmp_path: Path):
    members = {
        "orgs.csv": ORGS,
        "maple/users.csv": USERS_HEADER + STUDENT,
        "cedar/users.csv": USERS_HEADER + "stu-2,student,Ben,Ng,sch-2,\n",
    }
    result = validate_folder(make_zip(tmp_path / "upload.zip", members))
    assert ("users.csv", None, "", "duplicate_file") in reported(result.issues), found(result)
    assert result.has_errors


# --- the same codes where the upload is written less neatly -------------------------------------------


def test_an_unterminated_quote_is_reported_even_when_another_row_has_a_stray_quote(tmp_path: Path):
    # Line 2 has a quote inside a field (legal in practice); line 3 opens a quote it never closes.
    users = USERS_HEADER + 'stu-1,student,Ann "Annie",Lee,sch-1,\nstu-2,student,"Ben,Ng,sch-1,\n'
    result = validate_folder(write_upload(tmp_path / "up", {"orgs.csv": ORGS, "users.csv": users}))
    assert ("users.csv", 3, "", "unterminated_quote") in reported(result.issues), found(result)


def test_cross_file_issues_name_the_column_as_the_district_wrote_it(tmp_path: Path):
    files = {
        "orgs.csv": ORGS,
        "users.csv": USERS_HEADER + STUDENT,
        "classes.csv": "sourcedId,title,schoolSourcedID\ncls-1,Homeroom,sch-1\ncls-2,Art,sch-9\n",
        "enrollments.csv": "classSourcedID,userSourcedID,role,schoolSourcedID\n"
        "cls-9,stu-1,student,sch-1\ncls-1,stu-9,student,sch-1\ncls-1,stu-1,student,sch-2\n",
        "guardians.csv": "student_id,guardian_id,first_name,last_name,email\n"
        "stu-9,gdn-1,May,Lee,may@example.org\n",
    }
    result = validate_folder(write_upload(tmp_path / "up", files))
    expected = {
        ("classes.csv", 3, "schoolSourcedID", "unknown_school"),
        ("enrollments.csv", 2, "classSourcedID", "unknown_class"),
        ("enrollments.csv", 3, "userSourcedID", "unknown_user"),
        ("enrollments.csv", 4, "schoolSourcedID", "school_mismatch"),
        ("guardians.csv", 2, "student_id", "unknown_student"),
    }
    assert expected <= reported(result.issues), found(result)


def test_courses_and_terms_are_checked_against_whole_listings_only(tmp_path: Path):
    files = {
        "orgs.csv": ORGS,
        "users.csv": USERS_HEADER + STUDENT,
        "classes.csv": "sourcedId,title,schoolSourcedId,courseSourcedId,termSourcedIds\n"
        'cls-1,Math 3,sch-1,crs-1,"t1, t2"\ncls-2,Art 3,sch-1,crs-9,"t1, t9"\n',
        "courses.csv": "sourcedId,title\ncrs-1,Math 3\ncrs-2,Art 3\n",
        "academicSessions.csv": "sourcedId,title\nt1,2026-27\nt2,Fall 2026\n",
    }

    def catalogue_issues(upload: dict[str, str]) -> set[tuple[int, str, str]]:
        issues = validate_folder(write_upload(tmp_path / str(len(list(tmp_path.iterdir()))), upload)).issues
        shown = issues[issues["code"].isin(["unknown_course", "unknown_term"])]
        return set(zip(shown["line"], shown["code"], shown["value"], strict=True))

    assert catalogue_issues(files) == {(3, "unknown_course", "crs-9"), (3, "unknown_term", "t9")}
    # A delta listing holds only what changed; the roster keeps no courses or terms to add to it.
    manifest = "propertyName,value\nfile.courses,delta\nfile.academicSessions,delta\n"
    assert catalogue_issues({**files, "manifest.csv": manifest}) == set()
    without = {name: text for name, text in files.items() if name in ("orgs.csv", "users.csv", "classes.csv")}
    assert catalogue_issues(without) == set()


def test_a_manifest_issue_names_the_column_as_the_district_wrote_it(tmp_path: Path):
    files = {
        "orgs.csv": ORGS,
        "users.csv": USERS_HEADER + STUDENT,
        "manifest.csv": "PropertyName,Value\nfile.users,partial\n",
    }
    result = validate_folder(write_upload(tmp_path / "up", files))
    assert ("manifest.csv", 2, "Value", "invalid_manifest_value") in reported(result.issues), found(result)


def test_a_duplicate_attribute_in_a_wide_file_names_the_attribute_column(tmp_path: Path):
    files = {
        "orgs.csv": ORGS,
        "users.csv": USERS_HEADER + STUDENT,
        "student_attributes.csv": "studentSourcedId,ell,iep\nstu-1,true,\nstu-1,false,true\n",
    }
    result = validate_folder(write_upload(tmp_path / "up", files))
    assert reported(result.issues) == {("student_attributes.csv", 3, "ell", "duplicate_attribute")}, found(
        result
    )


def test_an_impossible_time_of_day_is_an_invalid_datetime(tmp_path: Path):
    users = (
        "sourcedId,role,givenName,familyName,orgSourcedIds,dateLastModified\n"
        "stu-1,student,Ann,Lee,sch-1,2026-08-01T10:30:00Z\n"
        "stu-2,student,Ben,Ng,sch-1,2026-08-01T25:61:00Z\n"
    )
    result = validate_folder(write_upload(tmp_path / "up", {"orgs.csv": ORGS, "users.csv": users}))
    assert reported(result.issues) == {("users.csv", 3, "dateLastModified", "invalid_datetime")}, found(
        result
    )


def test_references_to_a_file_that_could_not_be_read_say_so(tmp_path: Path):
    # They said "users.csv is not in the upload" of a users.csv with a header and no rows.
    (tmp_path / "users.csv").write_text("sourcedId,role,givenName,familyName,orgSourcedIds\n")
    (tmp_path / "enrollments.csv").write_text(
        "sourcedId,classSourcedId,userSourcedId,role,schoolSourcedId\ne1,c1,s1,student,sch-1\n"
    )
    issues = validate_upload(
        read_upload(str(tmp_path)), UploadContext(school_ids=frozenset({"sch-1"}))
    ).issues
    unchecked = issues[(issues["code"] == "references_unchecked") & (issues["value"] == "users.csv")]
    assert unchecked["message"].tolist() == [
        "users.csv could not be read (see its issues): references from enrollments.csv to it were not checked"
    ]
