"""Rolling back committed runs from the change log, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import Engine, delete

from roster_pipeline.apply.change_log import CHANGE_LOG, CREATED_ROWS_KEY, changes_logged, read_change_log
from roster_pipeline.apply.commit import applied_counts
from roster_pipeline.apply.rollback import RollbackRefused, rollback_run
from roster_pipeline.apply.runs import COMMITTED, ROLLED_BACK, find_run
from roster_pipeline.import_run import run_archive_students
from roster_pipeline.roster.bulk import insert_rows
from roster_pipeline_tests.conftest import SAMPLE_UPLOAD
from roster_pipeline_tests.importing import (
    edit_csv,
    import_upload,
    rename_students,
    roster_state,
    roster_table,
)


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

    with pytest.raises(RollbackRefused) as refused:
        rollback_run(demo_roster, first.run_id)
    assert roster_state(demo_roster) == state
    # Named as the district knows them (the students the first run created are no "students #2"),
    # ten of them, the rest counted.
    message = refused.value.reason
    assert message.startswith(
        "13 rows were changed again by later runs (staff t-0101, student 0001001, student 0001002, "
    )
    assert message.endswith(" and 3 more); roll those back first, or use --force")
    assert "#" not in message and "students" not in message

    rollback_run(demo_roster, first.run_id, force=True)
    assert len(roster_table(demo_roster, "students").query("sis_id != ''")) == 0


def test_a_run_rolls_back_once(demo_roster: Engine, tmp_path: Path) -> None:
    run = import_upload(demo_roster, SAMPLE_UPLOAD, tmp_path, commit=True)
    rollback_run(demo_roster, run.run_id)
    with pytest.raises(RollbackRefused, match="only committed imports and archives roll back"):
        rollback_run(demo_roster, run.run_id)


def _with_enrollment(sample_copy: Path, line: str | None) -> None:
    """The sample's enrollments, plus one more row (``sourcedId,class,user``) when given."""
    shutil.copy(SAMPLE_UPLOAD / "enrollments.csv", sample_copy / "enrollments.csv")
    if line is not None:
        identifier, class_id, user = line.split(",")
        more = lambda rows: pd.concat(  # noqa: E731
            [rows, rows.iloc[[1]].assign(sourcedId=identifier, classSourcedId=class_id, userSourcedId=user)],
            ignore_index=True,
        )
        edit_csv(sample_copy, "enrollments.csv", more)


def _enrollment_ids(engine: Engine) -> dict[tuple[str, str], int]:
    classes = roster_table(engine, "classrooms").set_index("id")["sis_id"]
    students = roster_table(engine, "students").set_index("id")["sis_id"]
    rows = roster_table(engine, "enrollments").dropna(subset=["student_id"])
    return {(classes[row.classroom_id], students[row.student_id]): int(row.id) for row in rows.itertuples()}


def test_a_first_import_logs_the_rows_it_created_as_one_entry_per_entity(
    demo_roster: Engine, tmp_path: Path
) -> None:
    run = import_upload(demo_roster, SAMPLE_UPLOAD, tmp_path, commit=True)
    with demo_roster.connect() as connection:
        log = read_change_log(connection, [run.run_id])
        logged = changes_logged(connection, run.run_id)
    created = log[log["key"] == CREATED_ROWS_KEY].set_index("entity")
    assert created.index.is_unique and (created["action"] == "CREATED").all()
    new_students = run.plan.entities["students"].query("action == 'CREATED'")["key"]
    students = roster_table(demo_roster, "students").set_index("sis_id")["id"]
    entry = json.loads(created.loc["students", "after"])
    assert sorted(ids_in(entry["ids"])) == sorted(students[new_students].tolist())
    assert entry["count"] == len(new_students)
    assert logged == sum(sum(counts.values()) for counts in applied_counts(run.plan).values())


def ids_in(runs: list[list[int]]) -> list[int]:
    return [value for first, last in runs for value in range(first, last + 1)]


def test_a_link_made_again_by_a_later_run_is_not_restored_twice(
    demo_roster: Engine, sample_copy: Path, tmp_path: Path
) -> None:
    import_upload(demo_roster, SAMPLE_UPLOAD, tmp_path, commit=True)
    edit_csv(sample_copy, "enrollments.csv", lambda rows: rows[rows["sourcedId"] != "e-0002"])
    removing = import_upload(demo_roster, sample_copy, tmp_path, commit=True, allow_large_changes=True)
    _with_enrollment(sample_copy, None)
    import_upload(demo_roster, sample_copy, tmp_path, commit=True)  # e-0002 enrolled again
    state = roster_state(demo_roster)

    made_again = (
        r"1 link this run removed was made again since "
        r"\(enrollment of student 0001001 in classroom c-0101-hr3\)"
    )
    with pytest.raises(RollbackRefused, match=made_again):
        rollback_run(demo_roster, removing.run_id)
    assert roster_state(demo_roster) == state
    rollback_run(demo_roster, removing.run_id, force=True)  # the later one is kept, once
    assert roster_state(demo_roster) == state
    assert ("c-0101-hr3", "0001001") in _enrollment_ids(demo_roster)


def test_a_forced_rollback_never_deletes_a_later_runs_row_that_got_a_freed_id(
    demo_roster: Engine, sample_copy: Path, tmp_path: Path
) -> None:
    """SQLite gives the highest id out again once its row is deleted; the later row must survive."""
    import_upload(demo_roster, SAMPLE_UPLOAD, tmp_path, commit=True)
    _with_enrollment(sample_copy, "e-9001,c-0101-hr4,0001001")
    adding = import_upload(demo_roster, sample_copy, tmp_path, commit=True)
    first_id = _enrollment_ids(demo_roster)[("c-0101-hr4", "0001001")]
    _with_enrollment(sample_copy, None)
    import_upload(demo_roster, sample_copy, tmp_path, commit=True, allow_large_changes=True)  # removed
    _with_enrollment(sample_copy, "e-9002,c-0101-hr4,0001002")
    import_upload(demo_roster, sample_copy, tmp_path, commit=True)
    later_id = _enrollment_ids(demo_roster)[("c-0101-hr4", "0001002")]
    if demo_roster.dialect.name == "sqlite":
        assert later_id == first_id  # the freed id, given out again

    removed_later = (
        r"^1 row was changed again by later runs \(enrollment of student 0001001 in classroom c-0101-hr4\)"
    )
    with pytest.raises(RollbackRefused, match=removed_later):
        rollback_run(demo_roster, adding.run_id)
    rollback_run(demo_roster, adding.run_id, force=True)
    assert _enrollment_ids(demo_roster)[("c-0101-hr4", "0001002")] == later_id


def test_a_run_logged_one_entry_per_created_row_still_rolls_back(
    demo_roster: Engine, sample_copy: Path, tmp_path: Path
) -> None:
    """Change logs written before created rows were logged by id runs hold one entry per row."""
    import_upload(demo_roster, SAMPLE_UPLOAD, tmp_path, commit=True)
    before = roster_state(demo_roster)
    _with_enrollment(sample_copy, "e-9001,c-0101-hr4,0001001")
    edit_csv(
        sample_copy,
        "users.csv",
        lambda users: pd.concat([users, users.iloc[[1]].assign(sourcedId="0009999")]),
    )
    run = import_upload(demo_roster, sample_copy, tmp_path, commit=True)
    students = roster_table(demo_roster, "students").set_index("sis_id")["id"]
    classes = roster_table(demo_roster, "classrooms").set_index("sis_id")["id"]
    old_style = pd.DataFrame(
        {
            "run_id": run.run_id,
            "district_id": int(roster_table(demo_roster, "students")["district_id"].iloc[0]),
            "entity": ["students", "student_enrollments"],
            "key": ["0009999", "c-0101-hr4|0001001"],
            "action": "CREATED",
            "before": None,
            "after": [
                json.dumps({"id": int(students["0009999"])}),
                json.dumps(
                    {"classroom_id": int(classes["c-0101-hr4"]), "student_id": int(students["0001001"])}
                ),
            ],
        }
    )
    with demo_roster.begin() as connection:
        connection.execute(delete(CHANGE_LOG).where(CHANGE_LOG.c.run_id == run.run_id))
        insert_rows(connection, CHANGE_LOG, old_style)

    rollback_run(demo_roster, run.run_id)
    assert roster_state(demo_roster) == before


def _import_other_students(engine: Engine, upload: Path, tmp_path: Path) -> None:
    """The sample with three students under new SIS IDs, committed: run C of the tests below."""
    rename_students(upload, {"0001001": "9001001", "0001002": "9001002", "0001003": "9001003"})
    import_upload(engine, upload, tmp_path, commit=True)


def test_rolling_back_an_archive_never_overwrites_students_that_got_the_archived_ids(
    demo_roster: Engine, sample_copy: Path, tmp_path: Path
) -> None:
    """Run B archives the students of run A; A is rolled back (forced), which deletes them; run C adds
    other students, who get the freed ids on SQLite. Rolling B back restored B's "before" values by
    id: C's students were overwritten with A's names, and the rollback said it restored them."""
    first = import_upload(demo_roster, SAMPLE_UPLOAD, tmp_path, commit=True)
    archiving, *_ = run_archive_students(demo_roster, "district-0042", tmp_path, commit=True)
    rollback_run(demo_roster, first.run_id, force=True)
    _import_other_students(demo_roster, sample_copy, tmp_path)
    state = roster_state(demo_roster)
    students = roster_table(demo_roster, "students").set_index("id")

    with pytest.raises(
        RollbackRefused, match=r"changed again by later runs \(student 0001001, student 0001002, "
    ):
        rollback_run(demo_roster, archiving)
    assert roster_state(demo_roster) == state
    _, restored = rollback_run(demo_roster, archiving, force=True)
    # Only the student made by hand is B's still: unarchived. The rest are C's, untouched.
    assert restored["students"] == 1
    after = roster_table(demo_roster, "students").set_index("id")
    assert after["archived_at"].isna().all()
    mine = after["sis_id"] != ""
    pd.testing.assert_frame_equal(after[mine], students[mine], check_dtype=False)


def test_a_removed_link_is_never_restored_onto_a_student_that_got_its_old_id(
    demo_roster: Engine, sample_copy: Path, tmp_path: Path
) -> None:
    """Run B removes a student's enrollments; A (which made them) is rolled back, forced; C adds other
    students, who get the freed ids on SQLite. Rolling B back put the enrollments back by their old
    ids onto whatever holds them now: refused only when one of them was free (here the classroom's,
    with a misleading reason), and onto C's student when every one had been given out again."""
    first = import_upload(demo_roster, SAMPLE_UPLOAD, tmp_path, commit=True)
    unenrolled = sample_copy.parent / "unenrolled"
    shutil.copytree(SAMPLE_UPLOAD, unenrolled)
    edit_csv(unenrolled, "enrollments.csv", lambda rows: rows[rows["userSourcedId"] != "0001002"])
    removing = import_upload(demo_roster, unenrolled, tmp_path, commit=True, allow_large_changes=True)
    assert removing.plan.counts().set_index("entity").loc["student_enrollments", "REMOVED"] > 0
    rollback_run(demo_roster, first.run_id, force=True)
    _import_other_students(demo_roster, sample_copy, tmp_path)
    state = roster_state(demo_roster)

    enrollment = (
        r"^1 row was changed again by later runs \(enrollment of student 0001002 in classroom c-0101-hr3\)"
    )
    with pytest.raises(RollbackRefused, match=enrollment):
        rollback_run(demo_roster, removing.run_id)
    assert roster_state(demo_roster) == state
    rollback_run(demo_roster, removing.run_id, force=True)
    assert roster_state(demo_roster) == state  # forced: the enrollments of a student now gone stay gone
