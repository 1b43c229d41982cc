"""`roster-pipeline db | import | apply | rollback | runs`: the workflow from a shell, exit codes 0/1/2."""

from __future__ import annotations

import fcntl
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import Engine

from roster_pipeline.apply import commit
from roster_pipeline.cli.main import main
from roster_pipeline.roster.database import make_engine
from roster_pipeline_tests.conftest import SAMPLE_UPLOAD
from roster_pipeline_tests.importing import edit_csv, roster_table


@pytest.fixture
def roster_engine(tmp_path: Path) -> Engine:
    """The CLI creates its own schema from a URL: a SQLite file here (the library tests cover PostgreSQL)."""
    return make_engine(f"sqlite:///{tmp_path / 'cli.db'}")


@pytest.fixture
def flags(roster_engine: Engine, tmp_path: Path) -> list[str]:
    return ["--database-url", str(roster_engine.url), "--data-dir", str(tmp_path / "data")]


def _run_id(output: str) -> str:
    return re.search(r"Run (run-[0-9-a-f]+)", output).group(1)


def test_the_dry_run_then_apply_workflow(flags: list[str], roster_engine: Engine, capsys) -> None:
    assert main(["db", "seed-demo", *flags]) == 0
    assert main(["db", "seed-demo", *flags]) == 0  # already there: nothing to do
    assert main(["import", str(SAMPLE_UPLOAD), "--tenant", "district-0042", *flags]) == 0
    out = capsys.readouterr().out
    assert "dry run: not applied" in out and "roster-pipeline apply" in out
    run_id = _run_id(out)
    assert len(roster_table(roster_engine, "students")) == 1  # only the hand-made one so far

    assert main(["apply", run_id, *flags]) == 0
    assert "applied: 58 changes" in capsys.readouterr().out
    assert len(roster_table(roster_engine, "students")) == 9
    assert main(["apply", run_id, *flags]) == 1  # a committed run is not applied twice
    assert "only a dry run" in capsys.readouterr().err

    assert main(["runs", "--tenant", "district-0042", *flags]) == 0
    assert "COMMITTED" in capsys.readouterr().out
    assert main(["rollback", run_id, *flags]) == 0
    assert len(roster_table(roster_engine, "students")) == 1


def test_json_output_and_rejections(flags: list[str], tmp_path: Path, capsys) -> None:
    main(["db", "seed-demo", *flags])
    capsys.readouterr()
    assert (
        main(["import", str(SAMPLE_UPLOAD), "--tenant", "district-0042", "--commit", "--json", *flags]) == 0
    )
    document = json.loads(capsys.readouterr().out)
    assert document["status"] == "COMMITTED"
    assert {"entity": "students", "CREATED": 8, "UPDATED": 0} in document["counts"]

    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "users.csv").write_text(
        "sourcedId,role,givenName,familyName,orgSourcedIds\n1,student,A,B,sch-9\n"
    )
    assert main(["import", str(broken), "--tenant", "district-0042", *flags]) == 1
    assert "rejected: the upload has errors" in capsys.readouterr().out


def test_a_threshold_rejects_with_exit_1(flags: list[str], tmp_path: Path, capsys, monkeypatch) -> None:
    main(["db", "seed-demo", *flags])
    main(["import", str(SAMPLE_UPLOAD), "--tenant", "district-0042", "--commit", *flags])
    smaller = tmp_path / "smaller"
    smaller.mkdir()
    for path in SAMPLE_UPLOAD.iterdir():
        (smaller / path.name).write_bytes(path.read_bytes())
    edit_csv(smaller, "classes.csv", lambda rows: rows.head(2))
    edit_csv(smaller, "enrollments.csv", lambda rows: rows[rows["classSourcedId"].str.startswith("c-0101")])
    capsys.readouterr()
    assert main(["import", str(smaller), "--tenant", "district-0042", "--commit", *flags]) == 1
    said = capsys.readouterr().out
    reason = "classrooms: 2 of 4 would be archived or removed (50%); the limit is 10%"
    assert f"\nSTOPPED {reason}\n" in said
    assert "WARNING" not in said  # what stopped the run is not a warning
    allowed = ["--commit", "--allow-large-changes"]
    with monkeypatch.context() as patched:  # another run commits first: the plan is stale
        patched.setattr(commit, "current_fingerprint", lambda *_: "the roster moved on")
        assert main(["import", str(smaller), "--tenant", "district-0042", *allowed, *flags]) == 1
    said = capsys.readouterr().out
    assert "rejected: stale plan" in said and "STOPPED" not in said  # the threshold did not stop it
    assert f"\nWARNING {reason} (allowed by --allow-large-changes)\n" in said
    assert main(["import", str(smaller), "--tenant", "district-0042", *allowed, *flags]) == 0
    assert f"\nWARNING {reason} (allowed by --allow-large-changes)\n" in capsys.readouterr().out


def test_what_cannot_run_exits_2(flags: list[str], capsys) -> None:
    assert main(["import", str(SAMPLE_UPLOAD), "--tenant", "district-0042", *flags]) == 2
    assert "has no tables yet: run `roster-pipeline db upgrade`" in capsys.readouterr().err
    assert main(["db", "upgrade", *flags]) == 0
    assert main(["import", str(SAMPLE_UPLOAD), "--tenant", "district-7", *flags]) == 2
    assert "no tenant 'district-7'" in capsys.readouterr().err
    assert main(["rollback", "run-nope", *flags]) == 2
    assert main(["db", "load", "/nonexistent.yaml", *flags]) == 2


def test_an_unreadable_upload_exits_2_and_is_still_a_rejected_run_with_results(
    flags: list[str], tmp_path: Path, capsys
) -> None:
    main(["db", "seed-demo", *flags])
    broken = tmp_path / "upload.zip"
    broken.write_bytes(b"PK\x03\x04 not really a zip")
    capsys.readouterr()
    assert main(["import", str(broken), "--tenant", "district-0042", "--commit", *flags]) == 2
    printed = capsys.readouterr()
    assert printed.err.startswith("cannot run: ") and "upload.zip" in printed.err
    run_id = _run_id(printed.out)
    results = tmp_path / "data" / "runs" / run_id / "results"
    assert "upload_unreadable" in (results / "errors.csv").read_text()
    assert "ERROR" in (results / "summary.csv").read_text()
    assert main(["runs", "--tenant", "district-0042", *flags]) == 0
    listed = capsys.readouterr().out
    assert run_id in listed and "REJECTED" in listed


def test_the_headless_demo_imports_the_sample_through_the_sensor(tmp_path: Path, capsys) -> None:
    assert main(["demo", "--once", "--data-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "Sample upload dropped at s3://roster-drop/drop/district-0042/sample-upload/" in out
    assert "for district-0042: applied: 58 changes" in out
    assert "s3://roster-drop/results/district-0042/sample-upload/users_results.csv" in out
    assert len(roster_table(make_engine(f"sqlite:///{tmp_path / 'demo' / 'roster.db'}"), "students")) == 9


def test_an_unusable_database_or_output_folder_is_one_line_and_exit_2(tmp_path: Path, capsys) -> None:
    not_a_database = tmp_path / "notes.db"
    not_a_database.write_text("not a database\n")
    taken = tmp_path / "taken"
    taken.write_text("a file where the results folder would go\n")
    for command, said in [
        (["db", "upgrade", "--database-url", "garbage"], "Could not parse SQLAlchemy URL"),
        (["db", "seed-demo", "--database-url", f"sqlite:///{not_a_database}"], "file is not a database"),
        (["db", "upgrade", "--database-url", "mysql://user@127.0.0.1/roster"], "No module named"),
        (["check", str(SAMPLE_UPLOAD), "--out", str(taken)], "File exists"),
        (["check", "s3://bucket/upload", "--endpoint-url", "not-a-url"], "Invalid endpoint"),
    ]:
        assert main(command) == 2, command
        err = capsys.readouterr().err
        assert said in err and len(err.strip().splitlines()) == 1, (command, err)


def test_output_cut_short_by_its_reader_is_not_a_traceback() -> None:
    reading, writing = os.pipe()
    fcntl.fcntl(writing, fcntl.F_SETPIPE_SZ, 4096)  # smaller than the list of codes: the child waits
    child = subprocess.Popen(
        [sys.executable, "-m", "roster_pipeline.cli.main", "codes"], stdout=writing, stderr=subprocess.PIPE
    )
    os.close(writing)
    assert os.read(reading, 10).startswith(b"code")
    time.sleep(0.5)  # the child fills the pipe and waits for room
    os.close(reading)  # as `| head -1` does: the child's next write fails with a broken pipe
    assert child.wait(timeout=60) == 0
    assert child.stderr is not None and b"Traceback" not in child.stderr.read()
