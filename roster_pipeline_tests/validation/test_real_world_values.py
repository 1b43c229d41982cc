"""Values real SIS exports write that must be accepted: boolean case, extension columns, wide attributes."""

from __future__ import annotations

from pathlib import Path

from roster_pipeline.upload.sources import read_upload
from roster_pipeline.validation.scope import UploadContext
from roster_pipeline.validation.validate import validate_upload


def validate(tmp_path: Path, files: dict[str, str]):
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    return validate_upload(read_upload(str(tmp_path)), UploadContext(scope="school"))


def test_booleans_in_any_case_are_accepted_and_stored_lower_case(tmp_path: Path):
    result = validate(
        tmp_path,
        {
            "users.csv": "\n".join(
                [
                    "sourcedId,role,givenName,familyName,enabledUser",
                    "1,student,A,B,TRUE",
                    "2,student,C,D,True\n",
                ]
            )
        },
    )
    assert result.issues.empty
    assert result.frame("users.csv")["enabledUser"].tolist() == ["true", "true"]


def test_metadata_columns_are_kept_without_a_warning(tmp_path: Path):
    result = validate(
        tmp_path,
        {"users.csv": "sourcedId,role,givenName,familyName,metadata.house\n1,student,A,B,Gryffindor\n"},
    )
    assert result.issues.empty
    assert result.frame("users.csv")["metadata.house"].tolist() == ["Gryffindor"]


def test_wide_student_attributes_are_read_as_long_form_keeping_lines(tmp_path: Path):
    result = validate(
        tmp_path,
        {
            "users.csv": "sourcedId,role,givenName,familyName\n001,student,A,B\n002,student,C,D\n",
            "student_attributes.csv": "studentSourcedId,iep,ell,birthDate\n"
            "001,true,,2016-01-31\n002,false,maybe,\n",
        },
    )
    frame = result.frame("student_attributes.csv")
    assert list(
        zip(frame.index, frame["studentSourcedId"], frame["attribute"], frame["value"], strict=True)
    ) == [
        (2, "001", "iep", "true"),
        (2, "001", "birthDate", "2016-01-31"),
        (3, "002", "iep", "false"),
        (3, "002", "ell", "maybe"),
    ]
    issues = result.issues[["line", "column", "code"]].values.tolist()
    assert issues == [[3, "ell", "invalid_attribute_value"]]
