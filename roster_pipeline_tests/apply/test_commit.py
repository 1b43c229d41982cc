"""Committing plans: the scenarios a district lives through, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import Engine

from roster_pipeline.apply import commit as commit_module
from roster_pipeline.apply.commit import StalePlan, ThresholdExceeded, apply_plan
from roster_pipeline.apply.runs import COMMITTED, DRY_RUN, REJECTED, find_run
from roster_pipeline.import_run import apply_reviewed_run
from roster_pipeline.plan.storage import load_plan
from roster_pipeline.roster.fixtures import load_fixture
from roster_pipeline_tests.conftest import SAMPLE_UPLOAD
from roster_pipeline_tests.importing import edit_csv, import_upload, results_of, roster_state, roster_table


def test_a_dry_run_writes_nothing_to_the_roster(demo_roster: Engine, tmp_path: Path) -> None:
    before = roster_state(demo_roster)
    outcome = import_upload(demo_roster, SAMPLE_UPLOAD, tmp_path)
    assert outcome.status == DRY_RUN
    assert roster_state(demo_roster) == before
    counts = outcome.plan.counts().set_index("entity")
    assert counts.loc["students", "CREATED"] == 8
    assert counts.loc["classrooms", "CREATED"] == 4


def test_first_import_then_the_same_files_again_is_an_empty_plan(demo_roster: Engine, tmp_path: Path) -> None:
    first = import_upload(demo_roster, SAMPLE_UPLOAD, tmp_path, commit=True)
    assert first.status == COMMITTED, first.message
    students = roster_table(demo_roster, "students")
    assert set(students["sis_id"]) == {
        "",
        *[f"000{n}" for n in (1001, 1002, 1003, 1004, 2001, 2002, 2003, 2004)],
    }
    assert len(roster_table(demo_roster, "enrollments")) == 2 + 12  # the Art Club's two, the upload's twelve

    again = import_upload(demo_roster, SAMPLE_UPLOAD, tmp_path, commit=True)
    assert again.plan.is_empty
    assert set(again.plan.counts().columns) == {"entity", "UNCHANGED"}
    assert (results_of(again, "users.csv")["action"] == "UNCHANGED").all()


def test_results_carry_each_rows_action(demo_roster: Engine, tmp_path: Path) -> None:
    outcome = import_upload(demo_roster, SAMPLE_UPLOAD, tmp_path)
    users = results_of(outcome, "users.csv")
    assert users.loc["2", ["result", "action"]].tolist() == ["SUCCESS", "CREATED"]
    # t-0101 was made by hand with the same email: matched and given its SIS ID.
    assert users.loc["10", "action"] == "UPDATED"
    # Noah Ng (0001004) looks like the hand-made Noah Ng of the same school and grade.
    assert users.loc["5", "action"] == "MERGE_CANDIDATE"
    assert "looks like existing student" in users.loc["5", "message"]
    guardians = results_of(outcome, "guardians.csv")
    assert guardians.loc["2", ["action", "message"]].tolist() == [
        "CREATED",
        "guardian created; guardian link created",
    ]
    assert guardians.loc["8", ["action", "message"]].tolist() == [
        "CREATED",
        "guardian created; guardian link created",
    ]


def test_a_student_moves_school(demo_roster: Engine, sample_copy: Path, tmp_path: Path) -> None:
    import_upload(demo_roster, sample_copy, tmp_path, commit=True)
    moved = lambda users: users.assign(  # noqa: E731
        orgSourcedIds=users["orgSourcedIds"].where(users["sourcedId"] != "0001001", "sch-0102")
    )
    edit_csv(sample_copy, "users.csv", moved)
    outcome = import_upload(demo_roster, sample_copy, tmp_path, commit=True)
    changes = outcome.plan.changes()
    assert changes[["entity", "key", "action", "field"]].values.tolist() == [
        ["students", "0001001", "UPDATED", "school_pk"]
    ]
    schools = roster_table(demo_roster, "schools").set_index("school_id")["id"]
    student = roster_table(demo_roster, "students").set_index("sis_id").loc["0001001"]
    assert student["school_pk"] == schools["sch-0102"]


def test_a_class_dropped_is_archived_and_comes_back_unarchived(
    demo_roster: Engine, sample_copy: Path, tmp_path: Path
) -> None:
    import_upload(demo_roster, SAMPLE_UPLOAD, tmp_path, commit=True)
    edit_csv(sample_copy, "classes.csv", lambda classes: classes[classes["sourcedId"] != "c-0101-hr4"])
    edit_csv(sample_copy, "enrollments.csv", lambda rows: rows[rows["classSourcedId"] != "c-0101-hr4"])
    dropped = import_upload(demo_roster, sample_copy, tmp_path, commit=True, allow_large_changes=True)
    assert dropped.status == COMMITTED, dropped.message
    classrooms = roster_table(demo_roster, "classrooms").set_index("title")
    assert classrooms.loc["Grade 4 Homeroom", "archived_at"] is not None
    assert dropped.plan.counts().set_index("entity").loc["student_enrollments", "REMOVED"] == 2

    back = import_upload(demo_roster, SAMPLE_UPLOAD, tmp_path, commit=True)
    plan = back.plan.entities["classrooms"]
    assert plan.loc[plan["key"] == "c-0101-hr4", "action"].tolist() == ["UNARCHIVED"]
    assert pd.isna(
        roster_table(demo_roster, "classrooms").set_index("title").loc["Grade 4 Homeroom", "archived_at"]
    )


def test_a_manual_classroom_survives_a_bulk_import(demo_roster: Engine, tmp_path: Path) -> None:
    outcome = import_upload(demo_roster, SAMPLE_UPLOAD, tmp_path, commit=True)
    assert outcome.status == COMMITTED
    classrooms = roster_table(demo_roster, "classrooms").set_index("title")
    assert pd.isna(classrooms.loc["Art Club", "archived_at"])
    art_club = classrooms.loc["Art Club", "id"]
    assert (roster_table(demo_roster, "enrollments")["classroom_id"] == art_club).sum() == 2


def test_threshold_stops_a_plan_where_a_file_lost_half_its_rows(
    demo_roster: Engine, sample_copy: Path, tmp_path: Path
) -> None:
    import_upload(demo_roster, SAMPLE_UPLOAD, tmp_path, commit=True)
    state = roster_state(demo_roster)
    lost = ["0001003", "0001004", "0002003", "0002004"]
    edit_csv(sample_copy, "users.csv", lambda users: users[~users["sourcedId"].isin(lost)])
    edit_csv(sample_copy, "enrollments.csv", lambda rows: rows[~rows["userSourcedId"].isin(lost)])
    edit_csv(sample_copy, "guardians.csv", lambda rows: rows[~rows["studentSourcedId"].isin(lost)])
    edit_csv(sample_copy, "student_attributes.csv", lambda rows: rows[~rows["studentSourcedId"].isin(lost)])
    users = sample_copy / "users.csv"
    users.write_text(users.read_text().replace(",p-0001003,", ",,"))  # the parent's agent link goes too
    edit_csv(sample_copy, "users.csv", lambda rows: rows[rows["sourcedId"] != "p-0001003"])

    stopped = import_upload(demo_roster, sample_copy, tmp_path, commit=True)
    assert stopped.status == REJECTED
    assert "students: 4 of 8 would be archived or removed (50%)" in stopped.message
    assert roster_state(demo_roster) == state

    allowed = import_upload(demo_roster, sample_copy, tmp_path, commit=True, allow_large_changes=True)
    assert allowed.status == COMMITTED
    with demo_roster.connect() as connection:
        assert find_run(connection, allowed.run_id)["allow_large_changes"] is True
    students = roster_table(demo_roster, "students").set_index("sis_id")
    assert students.loc[lost, "archived_at"].notna().all()


def test_a_stale_plan_is_refused(demo_roster: Engine, sample_copy: Path, tmp_path: Path) -> None:
    reviewed = import_upload(demo_roster, SAMPLE_UPLOAD, tmp_path)
    edit_csv(sample_copy, "users.csv", lambda users: users.assign(familyName=users["familyName"] + "-x"))
    moved_on = import_upload(demo_roster, sample_copy, tmp_path, commit=True)
    assert moved_on.status == COMMITTED
    state = roster_state(demo_roster)

    status, message, _ = apply_reviewed_run(demo_roster, reviewed.run_id, tmp_path)
    assert status == REJECTED
    assert "stale plan: the roster changed since this plan was made; re-run the dry run" in message
    assert roster_state(demo_roster) == state


def test_a_reviewed_dry_run_is_applied_exactly_as_saved(demo_roster: Engine, tmp_path: Path) -> None:
    reviewed = import_upload(demo_roster, SAMPLE_UPLOAD, tmp_path)
    saved = load_plan(reviewed.run_folder / "plan")
    status, _, applied = apply_reviewed_run(demo_roster, reviewed.run_id, tmp_path)
    assert status == COMMITTED
    pd.testing.assert_frame_equal(applied.counts(), saved.counts())
    assert len(roster_table(demo_roster, "guardians")) == 8


def test_a_failure_mid_commit_leaves_no_trace(
    demo_roster: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = roster_state(demo_roster)
    outcome = import_upload(demo_roster, SAMPLE_UPLOAD, tmp_path)
    real_insert = commit_module.insert_rows

    def failing_insert(connection, table, rows):  # type: ignore[no-untyped-def]
        if table.name == "change_log":  # after every record and link was written
            raise RuntimeError("connection lost")
        real_insert(connection, table, rows)

    monkeypatch.setattr(commit_module, "insert_rows", failing_insert)
    with pytest.raises(RuntimeError, match="connection lost"):
        apply_plan(demo_roster, outcome.plan, outcome.run_id)
    assert roster_state(demo_roster) == before
    with demo_roster.connect() as connection:
        assert find_run(connection, outcome.run_id)["status"] == DRY_RUN


def test_two_concurrent_commits_for_one_tenant_serialise(
    demo_roster: Engine, sample_copy: Path, tmp_path: Path
) -> None:
    edit_csv(sample_copy, "users.csv", lambda users: users.assign(familyName=users["familyName"] + "-2"))
    plans = [import_upload(demo_roster, folder, tmp_path).plan for folder in (SAMPLE_UPLOAD, sample_copy)]
    outcomes: list[str] = []
    start = threading.Barrier(2)

    def commit(plan, run_id: str) -> None:  # type: ignore[no-untyped-def]
        start.wait()
        try:
            apply_plan(demo_roster, plan, run_id)
            outcomes.append("committed")
        except StalePlan:
            outcomes.append("stale")

    threads = [threading.Thread(target=commit, args=(plan, f"run-{n}")) for n, plan in enumerate(plans)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sorted(outcomes) == ["committed", "stale"]
    assert len(roster_table(demo_roster, "students")) == 9  # one import's students, not two


def test_a_district_upload_naming_another_districts_school_id_is_rejected(
    demo_roster: Engine, sample_copy: Path, tmp_path: Path
) -> None:
    with demo_roster.begin() as connection:
        from roster_pipeline.roster.fixtures import load_fixture

        load_fixture(
            connection,
            {"tenant": "district-0099", "schools": [{"name": "Elm High", "school_id": "sch-9901"}]},
        )
    before = roster_state(demo_roster)
    edit_csv(
        sample_copy,
        "users.csv",
        lambda users: users.assign(orgSourcedIds=users["orgSourcedIds"].replace("sch-0101", "sch-9901")),
    )
    # Naming the school in orgs.csv does not make it this district's.
    orgs = sample_copy / "orgs.csv"
    elm_high = "sch-9901,active,2026-08-01T00:00:00Z,Elm High,school,9901,dist-0042\n"
    orgs.write_text(orgs.read_text() + elm_high)
    outcome = import_upload(demo_roster, sample_copy, tmp_path, commit=True)
    assert outcome.status == REJECTED
    unknown = outcome.validated.issues.query("code == 'unknown_school'")
    assert ("users.csv", 2, "orgSourcedIds", "sch-9901") in set(
        unknown[["file", "line", "column", "value"]].itertuples(index=False, name=None)
    )
    assert roster_state(demo_roster) == before
    assert (results_of(outcome, "users.csv")["action"] == "NOT_IMPORTED").all()


def test_thresholds_are_checked_again_when_applying(
    demo_roster: Engine, sample_copy: Path, tmp_path: Path
) -> None:
    import_upload(demo_roster, SAMPLE_UPLOAD, tmp_path, commit=True)
    edit_csv(sample_copy, "classes.csv", lambda classes: classes.head(2))
    edit_csv(
        sample_copy,
        "enrollments.csv",
        lambda rows: rows[rows["classSourcedId"].isin(["c-0101-hr3", "c-0101-hr4"])],
    )
    plan = import_upload(demo_roster, sample_copy, tmp_path).plan
    with pytest.raises(ThresholdExceeded, match="classrooms: 2 of 4"):
        apply_plan(demo_roster, plan, "run-large")


def test_a_delta_enrolling_students_it_does_not_list_links_them_by_their_roster_ids(
    demo_roster: Engine, sample_copy: Path, tmp_path: Path
) -> None:
    """The new enrollment's student and class are in the roster, not in the upload's users or classes:
    their ids come from the roster, not from the plan's records."""
    import_upload(demo_roster, SAMPLE_UPLOAD, tmp_path, commit=True)
    for name in ("guardians.csv", "student_attributes.csv"):
        (sample_copy / name).unlink()
    (sample_copy / "manifest.csv").write_text(
        "propertyName,value\nmanifest.version,1.0\noneroster.version,1.1\n"
        "file.orgs,bulk\nfile.users,delta\nfile.classes,delta\nfile.enrollments,delta\n"
    )
    edit_csv(sample_copy, "users.csv", lambda users: users[users["sourcedId"] == "0001001"])
    edit_csv(sample_copy, "classes.csv", lambda classes: classes.head(1))
    edit_csv(
        sample_copy,
        "enrollments.csv",
        lambda rows: rows[rows["sourcedId"] == "e-0011"].assign(
            sourcedId="e-0099", classSourcedId="c-0102-m7p1"
        ),
    )
    outcome = import_upload(demo_roster, sample_copy, tmp_path, commit=True)
    assert outcome.status == COMMITTED, outcome.message
    students = roster_table(demo_roster, "students").set_index("sis_id")["id"]
    classrooms = roster_table(demo_roster, "classrooms").set_index("sis_id")["id"]
    enrollments = roster_table(demo_roster, "enrollments").set_index("sis_id")
    assert enrollments.loc["e-0099", ["classroom_id", "student_id"]].tolist() == [
        classrooms["c-0102-m7p1"],
        students["0002003"],
    ]
    assert len(enrollments) == 2 + 12 + 1


def test_records_created_while_another_tenant_inserts_get_their_links_by_the_ids_they_took(
    demo_roster: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another tenant's student inserted between two halves of ours: the created students' ids are no
    longer one run, so they are read back rather than counted from the first."""
    outcome = import_upload(demo_roster, SAMPLE_UPLOAD, tmp_path)
    with demo_roster.begin() as connection:
        neighbour = load_fixture(connection, {"tenant": "district-0043", "schools": []})
    real_insert = commit_module.insert_rows

    def interleaved_insert(connection, table, rows):  # type: ignore[no-untyped-def]
        if table.name != "students":
            return real_insert(connection, table, rows)
        half = len(rows) // 2
        real_insert(connection, table, rows.iloc[:half])
        stranger = {"sis_id": "x-1", "given_name": "Ann", "family_name": "Other", "managed_by": "sis"}
        real_insert(connection, table, pd.DataFrame([stranger]).assign(district_id=neighbour))
        real_insert(connection, table, rows.iloc[half:])

    monkeypatch.setattr(commit_module, "insert_rows", interleaved_insert)
    apply_plan(demo_roster, outcome.plan, outcome.run_id)
    students = roster_table(demo_roster, "students").set_index("id")["sis_id"]
    enrollments = roster_table(demo_roster, "enrollments").query("sis_id != ''").set_index("sis_id")
    by_enrollment = enrollments["student_id"].dropna().astype(int).map(students)
    expected = pd.read_csv(SAMPLE_UPLOAD / "enrollments.csv", dtype=str).set_index("sourcedId")[
        "userSourcedId"
    ]
    assert by_enrollment.to_dict() == expected[expected.index.isin(by_enrollment.index)].to_dict()
    assert len(by_enrollment) >= 8
