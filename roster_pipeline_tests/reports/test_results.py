"""Results files: every input row with its result, formulas escaped, passwords never echoed."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd

from roster_pipeline.reports.escaping import escape_formulas
from roster_pipeline.reports.summary import upload_summary
from roster_pipeline.reports.writer import results_files, summary_json
from roster_pipeline.upload.sources import read_upload
from roster_pipeline.validation.validate import validate_upload

ORGS = "sourcedId,name,type\nsch-1,One,school\n"
USERS = (
    "sourcedId,role,givenName,familyName,orgSourcedIds,email,password\n"
    '001,student,=HYPERLINK("x"),Lee,sch-1,,hunter2\n'
    "002,student,Bob,,sch-1,,s3cret-pass\n"
    "003,student,Cy\n"
    "t-1,teacher,Tom,Tee,sch-1,tom@example.org,correct-horse\n"
)


def validated(tmp_path: Path):
    (tmp_path / "orgs.csv").write_text(ORGS)
    (tmp_path / "users.csv").write_text(USERS)
    return validate_upload(read_upload(str(tmp_path)))


def read(data: bytes) -> pd.DataFrame:
    return pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False)


def test_results_have_every_input_row_with_result_and_message(tmp_path: Path):
    files = results_files(validated(tmp_path))
    users = read(files["users_results.csv"])
    assert users["line"].tolist() == ["2", "3", "4", "5"]
    assert users["result"].tolist() == ["SUCCESS", "ERROR", "ERROR", "SUCCESS"]
    assert users.loc[1, "message"] == "familyName: a required value is empty"
    assert users.loc[2, "message"] == "the row has 3 fields; the header has 7"


def test_a_districts_own_line_result_or_message_column_keeps_its_values(tmp_path: Path):
    # A column named "line" crashed the results ("cannot insert line, already exists"); one named
    # "result", "action" or "message" was overwritten by ours.
    (tmp_path / "orgs.csv").write_text(ORGS)
    (tmp_path / "users.csv").write_text(
        "sourcedId,role,givenName,familyName,orgSourcedIds,line,result,message\n"
        "001,student,Ana,Lee,sch-1,row 1,my-result,hello\n"
    )
    users = read(results_files(validate_upload(read_upload(str(tmp_path))))["users_results.csv"])
    assert users.loc[0, ["line", "result", "message"]].tolist() == ["2", "SUCCESS", ""]
    kept = ["line (as uploaded)", "result (as uploaded)", "message (as uploaded)"]
    assert users.loc[0, kept].tolist() == ["row 1", "my-result", "hello"]


def test_formulas_are_escaped_and_passwords_never_appear(tmp_path: Path):
    files = results_files(validated(tmp_path))
    users = read(files["users_results.csv"])
    assert users.loc[0, "givenName"] == '\'=HYPERLINK("x")'
    assert "password" not in users.columns
    everything = b"".join(files.values()).decode()
    for secret in ("hunter2", "s3cret-pass", "correct-horse"):
        assert secret not in everything


def test_summary_and_errors_csv(tmp_path: Path):
    upload = validated(tmp_path)
    summary = upload_summary(upload)
    assert summary.to_dict(orient="records") == [
        {"file": "orgs.csv", "status": "SUCCESS", "rows": 1, "errors": 0, "warnings": 0},
        {"file": "users.csv", "status": "ERROR", "rows": 3, "errors": 2, "warnings": 0},
    ]
    errors = read(results_files(upload)["errors.csv"])
    assert errors[["file", "line", "column", "code"]].values.tolist() == [
        ["users.csv", "3", "familyName", "required_value"],
        ["users.csv", "4", "", "ragged_row"],
    ]
    assert '"issue_count": 2' in summary_json(upload)


def test_missing_column_rejects_every_row_of_the_file(tmp_path: Path):
    (tmp_path / "users.csv").write_text("sourcedId,givenName,familyName\n1,A,B\n2,C,D\n")
    upload = validate_upload(read_upload(str(tmp_path)))
    users = read(results_files(upload)["users_results.csv"])
    assert users["result"].tolist() == ["ERROR", "ERROR"]
    assert users.loc[0, "message"] == (
        "file rejected: orgSourcedIds: a required column is missing from the header; "
        "role: a required column is missing from the header"
    )


def test_escape_formulas_covers_every_dangerous_start():
    frame = pd.DataFrame({"a": ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "safe", "a=b"]}, dtype="string")
    assert escape_formulas(frame)["a"].tolist() == ["'=1+1", "'+1", "'-1", "'@SUM(A1)", "'\tx", "safe", "a=b"]


def test_an_upper_case_manifest_is_named_like_every_other_file(tmp_path: Path):
    # USERS.CSV's results were users_results.csv, but MANIFEST.CSV's were MANIFEST.CSV_results.csv.
    (tmp_path / "ORGS.CSV").write_text(ORGS)
    (tmp_path / "MANIFEST.CSV").write_text("propertyName,value\nfile.orgs,bulk\n")
    files = results_files(validate_upload(read_upload(str(tmp_path))))
    assert {"manifest_results.csv", "orgs_results.csv"} <= set(files)
    summary = read(files["summary.csv"])
    assert {"manifest.csv", "orgs.csv"} <= set(summary["file"])


def test_the_results_need_the_rows_as_written_not_the_normalised_frames(tmp_path: Path):
    """An import lets go of the normalised frames once its plan is built (at a million students they
    are a GB of its peak memory): the results written without them are the same, byte for byte."""
    upload = validated(tmp_path)
    lean = upload.without_frames()
    assert all(item.frame is None for item in lean.files.values())
    assert upload.frame("users.csv") is not None  # the upload it came from keeps its frames
    assert results_files(lean) == results_files(upload)
    assert upload_summary(lean).equals(upload_summary(upload))
