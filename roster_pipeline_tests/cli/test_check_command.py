"""`roster-pipeline check`: table, JSON, results folder, and exit codes 0 / 1 / 2."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from roster_pipeline.cli.main import main
from roster_pipeline_tests.conftest import SAMPLE_UPLOAD


def test_sample_upload_passes(capsys):
    assert main(["check", str(SAMPLE_UPLOAD)]) == 0
    out = capsys.readouterr().out
    assert "users.csv" in out and "Result: SUCCESS" in out


def test_issues_about_a_whole_file_or_the_upload_are_listed_without_a_line(tmp_path: Path, capsys):
    for path in SAMPLE_UPLOAD.iterdir():
        (tmp_path / path.name).write_bytes(path.read_bytes())
    (tmp_path / "notes.txt").write_text("sent by the SIS\n")
    assert main(["check", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    listed = [line.split(maxsplit=3) for line in out.splitlines() if "unknown_file" in line]
    assert listed == [["notes.txt", "notes.txt", "unknown_file", "not a roster file; it was ignored"]]

    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["check", str(empty)]) == 1
    assert "(upload)                       no_roster_files" in capsys.readouterr().out


def test_broken_upload_names_every_problem_with_its_line(tmp_path: Path, capsys):
    (tmp_path / "orgs.csv").write_text("sourcedId,name,type\nsch-1,One,school\n")
    (tmp_path / "users.csv").write_text(
        "sourcedId,role,givenName,familyName,orgSourcedIds\n1,student,A,B,sch-1\n1,pupil,C,D,sch-2\n"
    )
    out_dir = tmp_path / "results"
    assert main(["check", str(tmp_path), "--json", "--out", str(out_dir)]) == 1
    document = json.loads(capsys.readouterr().out)
    assert document["status"] == "ERROR"
    found = {(issue["line"], issue["column"], issue["code"]) for issue in document["issues"]}
    assert found == {
        (3, "sourcedId", "duplicate_id"),
        (3, "role", "invalid_role"),
        (3, "orgSourcedIds", "unknown_school"),
    }
    assert (out_dir / "users_results.csv").exists() and (out_dir / "errors.csv").exists()


def test_school_ids_from_the_command_line_count_as_known(tmp_path: Path, capsys):
    (tmp_path / "classes.csv").write_text("sourcedId,title,schoolSourcedId\nc1,Math,0101\nc2,Art,0999\n")
    assert main(["check", str(tmp_path), "--school-ids", "0101", "--json"]) == 1
    issues = json.loads(capsys.readouterr().out)["issues"]
    assert [(issue["line"], issue["code"], issue["value"]) for issue in issues] == [
        (3, "unknown_school", "0999")
    ]


def test_school_scope_does_not_need_school_ids(tmp_path: Path):
    (tmp_path / "classes.csv").write_text("sourcedId,title\nc1,Math\n")
    assert main(["check", str(tmp_path), "--scope", "school"]) == 0


def test_unreadable_upload_exits_2_with_one_line_and_no_traceback(tmp_path: Path):
    result = subprocess.run(
        [sys.executable, "-m", "roster_pipeline.cli.main", "check", str(tmp_path / "nope.zip")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"cannot read the upload: {tmp_path / 'nope.zip'}: no such file or folder"
    ]


def test_s3_upload_through_the_command(s3_client, s3_endpoint: str, bucket: str, capsys):
    for path in SAMPLE_UPLOAD.glob("*.csv"):
        s3_client.put_object(Bucket=bucket, Key=f"drop/district-0042/u1/{path.name}", Body=path.read_bytes())
    code = main(["check", f"s3://{bucket}/drop/district-0042/u1", "--endpoint-url", s3_endpoint, "--json"])
    assert code == 0
    assert json.loads(capsys.readouterr().out)["status"] == "SUCCESS"


def test_custom_header_aliases_from_a_settings_file(tmp_path: Path, capsys):
    upload = tmp_path / "upload"
    upload.mkdir()
    (upload / "guardians.csv").write_text(
        "Student Number,Contact ID,givenName,familyName,email\n001,g1,Ann,Lee,ann@example.org\n"
    )
    settings = tmp_path / "settings.toml"
    settings.write_text(
        "[header_aliases.guardians]\n"
        '"Student Number" = "studentSourcedId"\n'
        '"Contact ID" = "guardianSourcedId"\n'
    )
    assert main(["check", str(upload), "--config", str(settings), "--json"]) == 0
    codes = [issue["code"] for issue in json.loads(capsys.readouterr().out)["issues"]]
    assert codes.count("header_alias") == 2 and "missing_column" not in codes
