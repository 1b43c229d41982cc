"""Rolling back committed runs from the change log, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine

from roster_pipeline.apply.rollback import RollbackRefused, rollback_run
from roster_pipeline.apply.runs import COMMITTED, ROLLED_BACK, find_run
from roster_pipeline_tests.conftest import SAMPLE_UPLOAD
from roster_pipeline_tests.importing import edit_csv, import_upload, roster_state, roster_table


def test_rolling_back_the_first_import_restores_the_roster_before_it(
    demo_roster: Engine, tmp_path: Path
) -> None:
    before = roster_state(demo_roster)
    run = import_upload(demo_roster, SAMPLE_UPLOAD, tmp_path, commit=True)
    assert roster_state(demo_roster) != before

    rollback_id, restored = rollback_run(demo_roster, run.run_id)
    assert roster_state(demo_roster) == before
    assert restored["students"] == 8
    with demo_roster.connect() as connection:
        assert find_run(connection, run.run_id)["status"] == ROLLED_BACK
        assert find_run(connection, rollback_id)["status"] == COMMITTED
    # The hand-made teacher matched by email gets her hand-made state back, links included.
    okafor = roster_table(demo_roster, "staff").set_index("family_name").loc["Okafor"]
    assert (okafor["sis_id"], okafor["managed_by"], okafor["username"]) == ("", "manual", "")


def test_rollback_restores_field_values_and_archive_state(
    demo_roster: Engine, sample_copy: Path, tmp_path: Path
) -> None:
    import_upload(demo_roster, SAMPLE_UPLOAD, tmp_path, commit=True)
    after_first = roster_state(demo_roster)
    renamed = lambda users: users.assign(  # noqa: E731
        familyName=users["familyName"].where(users["sourcedId"] != "0001001", "Nuñez-Ruiz")
    )
    edit_csv(sample_copy, "users.csv", renamed)
    edit_csv(sample_copy, "classes.csv", lambda classes: classes[classes["sourcedId"] != "c-0101-hr4"])
    edit_csv(sample_copy, "enrollments.csv", lambda rows: rows[rows["classSourcedId"] != "c-0101-hr4"])
    second = import_upload(demo_roster, sample_copy, tmp_path, commit=True, allow_large_changes=True)
    students = roster_table(demo_roster, "students").set_index("sis_id")
    assert students.loc["0001001", "family_name"] == "Nuñez-Ruiz"

    rollback_run(demo_roster, second.run_id)
    students = roster_table(demo_roster, "students").set_index("sis_id")
    assert students.loc["0001001", "family_name"] == "Nuñez"
    classrooms = roster_table(demo_roster, "classrooms").set_index("sis_id")
    assert classrooms.loc["c-0101-hr4", "archived_at"] is None
    assert roster_state(demo_roster) == after_first


def test_rollback_is_refused_when_a_later_run_changed_the_same_rows(
    demo_roster: Engine, sample_copy: Path, tmp_path: Path
) -> None:
    first = import_upload(demo_roster, SAMPLE_UPLOAD, tmp_path, commit=True)
    edit_csv(sample_copy, "users.csv", lambda users: users.assign(familyName=users["familyName"] + "-x"))
    import_upload(demo_roster, sample_copy, tmp_path, commit=True)
    state = roster_state(demo_roster)

    with pytest.raises(RollbackRefused, match="changed again by later runs"):
        rollback_run(demo_roster, first.run_id)
    assert roster_state(demo_roster) == state

    rollback_run(demo_roster, first.run_id, force=True)
    assert len(roster_table(demo_roster, "students").query("sis_id != ''")) == 0


def test_a_run_rolls_back_once(demo_roster: Engine, tmp_path: Path) -> None:
    run = import_upload(demo_roster, SAMPLE_UPLOAD, tmp_path, commit=True)
    rollback_run(demo_roster, run.run_id)
    with pytest.raises(RollbackRefused, match="only committed imports and archives roll back"):
        rollback_run(demo_roster, run.run_id)
