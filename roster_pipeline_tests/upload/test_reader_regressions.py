"""Bugs the bad input corpus and the fuzzers found, one test each, on the smallest input that showed it.
Each crashed (or said something wrong) before its fix; see test_csv_reader_properties.py (fuzzing) and
roster_pipeline_tests/hardening/test_bad_input_corpus.py (the corpus)."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from roster_pipeline.upload.csv_reader import read_csv_table
from roster_pipeline.upload.errors import UploadUnreadable
from roster_pipeline.upload.members import UploadFiles
from roster_pipeline.upload.sources import read_upload
from roster_pipeline.validation.validate import validate_upload

ORGS = b"sourcedId,name,type\nsch-1,Maple,school\n"
USERS = b"sourcedId,role,givenName,familyName,orgSourcedIds\ns1,student,Ann,Lee,sch-1\n"
ENROLLMENTS = b"classSourcedId,userSourcedId,role,schoolSourcedId\nc1,s1,student,sch-1\n"


def zip_with(path: Path, name: str, data: bytes, **central: int) -> Path:
    """A one-member zip whose central directory record is then given ``central`` (what a reader sees)."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(name, data)
        for field, value in central.items():
            setattr(archive.getinfo(name), field, value)
    return path


def codes(upload: UploadFiles) -> list[tuple[str, str]]:
    return [(issue.code, issue.value) for issue in upload.issues]


def test_a_damaged_deflate_stream_makes_the_upload_unreadable_instead_of_crashing(tmp_path: Path) -> None:
    # Found by fuzzing corrupted zips: zlib.error escaped read_upload.
    path = zip_with(tmp_path / "upload.zip", "users.csv", USERS * 20)
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo("users.csv")
    data[info.header_offset + 30 + len(info.filename)] = 0xFF  # deflate block type 3: invalid
    path.write_bytes(bytes(data))
    with pytest.raises(UploadUnreadable) as raised:
        read_upload(str(path))
    assert raised.value.code == "upload_unreadable"
    assert "member 'users.csv' cannot be read" in raised.value.reason


def test_a_compression_method_zipfile_does_not_know_is_unreadable_instead_of_crashing(
    tmp_path: Path,
) -> None:
    # 99 is WinZip's AES: zipfile raises NotImplementedError, which escaped read_upload.
    path = zip_with(tmp_path / "upload.zip", "users.csv", USERS, compress_type=99)
    with pytest.raises(UploadUnreadable) as raised:
        read_upload(str(path))
    assert raised.value.code == "upload_unreadable"


def test_a_zip_naming_one_member_twice_reports_a_duplicate_file(tmp_path: Path) -> None:
    # Both members were read into one dict: the second silently won.
    path = tmp_path / "upload.zip"
    with pytest.warns(UserWarning, match="Duplicate name"), zipfile.ZipFile(path, "w") as archive:
        archive.writestr("users.csv", USERS)
        archive.writestr("users.csv", USERS.replace(b"Ann", b"Eve"))
    upload = read_upload(str(path))
    assert codes(upload) == [("duplicate_file", "users.csv")]
    assert upload.files["users.csv"] == USERS  # the first, as listed


def test_a_file_named_zip_that_is_not_one_says_so(tmp_path: Path) -> None:
    path = tmp_path / "upload.zip"
    path.write_bytes(ZIP_START_ONLY)
    with pytest.raises(UploadUnreadable, match="not a readable zip"):
        read_upload(str(path))


ZIP_START_ONLY = b"PK\x03\x04" + b"\x00" * 26  # a local header and nothing else: no central directory


def test_a_users_file_whose_every_row_is_ragged_is_reported_instead_of_crashing() -> None:
    # Found by the corpus (a trailing comma in the header): the enrollment role check mapped user IDs
    # through an empty users frame, got doubles and failed on fillna("") (pyarrow ArrowInvalid).
    users = b"sourcedId,role,givenName,familyName,orgSourcedIds,\n" + USERS.split(b"\n")[1] + b"\n"
    files = {"orgs.csv": ORGS, "users.csv": users, "enrollments.csv": ENROLLMENTS}
    result = validate_upload(UploadFiles("memory", files=files))
    errors = result.issues[result.issues["severity"] == "ERROR"]
    assert set(errors["code"]) == {"ragged_row", "unknown_user"}


def test_a_quote_opened_in_the_header_is_an_unterminated_quote_not_a_file_without_rows() -> None:
    # The quote ran on to the next quote in the file, so the whole file read as one header record.
    table = read_csv_table("classes.csv", b'sourcedId,"title,grades\nc1,Math,"07,08"\nc2,Art,03\n')
    found = table.issues[["line", "code"]].astype(str).to_numpy().tolist()
    assert found == [["1", "unterminated_quote"]]
    assert table.frame is None


def test_a_file_with_old_mac_line_ends_reads_every_row_on_its_line() -> None:
    # Lone CRs ("CSV (Macintosh)") ended no record for the newline scan: the file read as a header alone.
    table = read_csv_table("users.csv", b"sourcedId,role\rs1,student\rs2,teacher\r")
    assert table.issues.empty
    assert table.frame is not None
    assert table.frame.reset_index().to_numpy().tolist() == [[2, "s1", "student"], [3, "s2", "teacher"]]


# Found by fuzzing validation (a manifest's line ends mutated): CR-only lines, one LF among them.
CR_LINES = (
    b"\r\rmanifest.version,1.0\r\rmanifest.version,1.0\r\rmanifest.version,1.0\r\roneroster.version,1.1"
    b"\r\rsource.systemName,Lakeside SIS\r\rfile.orgs,bulk\r\rfile.users,bulk\r\rfile.classes,bulk"
    b"\r\rfile.enrollments,bulk\n\r\rfile.guardians,bulk\r\rfile.student_attributes,bulk\r\r"
)


def test_blank_cr_lines_before_the_header_are_read_instead_of_crashing() -> None:
    # The header parsed as no columns at all; renaming the body's two columns raised ArrowInvalid.
    table = read_csv_table("manifest.csv", CR_LINES)
    assert table.header == ["manifest.version", "1.0"]
    assert table.frame is not None
    assert table.frame.index[:2].tolist() == [5, 7]  # the lines an editor shows


def test_a_wide_attributes_file_with_an_unnamed_column_reads_its_attributes_instead_of_crashing() -> None:
    # Found by fuzzing: the unnamed column (a trailing comma in the header, as spreadsheets export it)
    # was taken for an attribute named "", which the frame does not have (KeyError).
    attributes = b"studentSourcedId,ell,iep,\n0001001,true,,\n0001002,,true,\n"
    result = validate_upload(UploadFiles("memory", files={"student_attributes.csv": attributes}))
    read = result.frame("student_attributes.csv")
    assert read[["studentSourcedId", "attribute", "value"]].values.tolist() == [
        ["0001001", "ell", "true"],
        ["0001002", "iep", "true"],
    ]
    unknown = result.issues[result.issues["code"] == "unknown_column"]
    assert unknown[["line", "column"]].values.tolist() == [[1, ""]]


def test_a_wide_attributes_file_of_one_student_with_two_attributes_is_checked_instead_of_crashing() -> None:
    # A one-student delta: its long form is two Arrow chunks, which duplicate detection took for one.
    attributes = b"studentSourcedId,birthDate,ell\n0001001,2017-04-12,true\n"
    result = validate_upload(UploadFiles("memory", files={"student_attributes.csv": attributes}))
    read = result.frame("student_attributes.csv")
    assert read[["attribute", "value"]].values.tolist() == [["birthDate", "2017-04-12"], ["ell", "true"]]
    assert not (result.issues["code"] == "duplicate_attribute").any()


def test_a_header_naming_a_column_like_an_empty_cells_placeholder_is_read_instead_of_crashing() -> None:
    # "(column 3)" written in the header and an empty third cell both became "(column 3)": two
    # columns of one name, which stripping took for a frame (AttributeError).
    table = read_csv_table("users.csv", b"sourcedId,(column 3),\ns1,a,b\n")
    assert table.frame is not None
    assert table.frame.loc[2].tolist() == ["s1", "a", "b"]
