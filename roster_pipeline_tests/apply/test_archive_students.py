"""Archiving existing students before a first upload: previewed, applied as previewed, rolled back."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine

from roster_pipeline.apply.rollback import rollback_run
from roster_pipeline.cli.main import main
from roster_pipeline.import_run import apply_reviewed_run, run_archive_students
from roster_pipeline.plan.archive_students import UnknownSchools
from roster_pipeline_tests.conftest import SAMPLE_UPLOAD
from roster_pipeline_tests.importing import DEMO, import_upload, roster_state, roster_table

CEDAR = ["0002001", "0002002", "0002003", "0002004"]


def test_preview_apply_and_rollback(demo_roster: Engine, tmp_path: Path) -> None:
    import_upload(demo_roster, SAMPLE_UPLOAD, tmp_path, commit=True)
    before = roster_state(demo_roster)

    run_id, status, _, plan = run_archive_students(demo_roster, DEMO, tmp_path, ["sch-0102"])
    assert status == "DRY_RUN"
    assert sorted(plan.entities["students"]["key"]) == CEDAR
    assert roster_state(demo_roster) == before  # a preview changes nothing

    status, _, _ = apply_reviewed_run(demo_roster, run_id, tmp_path)
    assert status == "COMMITTED"
    students = roster_table(demo_roster, "students").set_index("sis_id")
    assert students.loc[CEDAR, "archived_at"].notna().all()
    assert students.drop(index=CEDAR)["archived_at"].isna().all()

    rollback_run(demo_roster, run_id)
    assert roster_state(demo_roster) == before


def test_every_school_includes_students_made_by_hand(demo_roster: Engine, tmp_path: Path) -> None:
    _, status, _, plan = run_archive_students(demo_roster, DEMO, tmp_path, commit=True)
    assert status == "COMMITTED"
    assert plan.entities["students"][["key", "given_name"]].values.tolist() == [["", "Noah"]]
    assert roster_table(demo_roster, "students")["archived_at"].notna().all()


def test_an_unknown_school_id_is_refused(demo_roster: Engine, tmp_path: Path) -> None:
    with pytest.raises(UnknownSchools, match="no school with School ID sch-9999 in district-0042"):
        run_archive_students(demo_roster, DEMO, tmp_path, ["sch-9999"])


def test_the_students_archive_command(tmp_path: Path, capsys) -> None:
    flags = ["--database-url", f"sqlite:///{tmp_path / 'cli.db'}", "--data-dir", str(tmp_path / "data")]
    assert main(["db", "seed-demo", *flags]) == 0
    assert main(["students", "archive", "--tenant", DEMO, "--school-id", "sch-0101", *flags]) == 0
    out = capsys.readouterr().out
    assert "dry run: not applied: 1 students to archive" in out
    assert main(["students", "archive", "--tenant", DEMO, "--school-id", "sch-9999", *flags]) == 2
