"""Rollback, committing a reviewed run, merges, archives, classroom and School IDs: what one tenant's
operation names can never reach another tenant's rows, on SQLite and PostgreSQL.

Operations get their targets from reviewed files (pairs, suggestions, saved plans) that a person edits
or that are read back from storage, so each is tried with the neighbour's ids and names. A saved plan
edited to name the neighbour's rows is the case the commit's ownership check exists for.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import Engine

from roster_pipeline.apply.commit import PlanRefused
from roster_pipeline.apply.rollback import rollback_run
from roster_pipeline.apply.runs import COMMITTED, REJECTED
from roster_pipeline.apply.school_ids import SchoolIdRefused, set_school_id
from roster_pipeline.import_run import (
    apply_reviewed_run,
    merge_candidates_of,
    run_archive_students,
    run_classroom_ids,
    run_student_merges,
)
from roster_pipeline.plan.archive_students import UnknownSchools
from roster_pipeline.plan.classroom_ids import ClassroomIdsRefused
from roster_pipeline.plan.storage import SUMMARY, load_plan, save_plan
from roster_pipeline.plan.student_merges import MergeRefused
from roster_pipeline_tests.conftest import SAMPLE_UPLOAD
from roster_pipeline_tests.importing import DEMO, import_upload, roster_state, roster_table
from roster_pipeline_tests.security.tenancy import NEIGHBOUR, tenant_content


def their(engine: Engine, table: str, **where: str) -> int:
    rows = roster_table(engine, table, NEIGHBOUR)
    for column, value in where.items():
        rows = rows[rows[column] == value]
    return int(rows["id"].iloc[0])


def test_rolling_back_one_tenants_run_restores_only_that_tenant(two_tenants: Engine, tmp_path: Path) -> None:
    demo_before = roster_state(two_tenants)
    ours = import_upload(two_tenants, SAMPLE_UPLOAD, tmp_path, commit=True)
    theirs = import_upload(
        two_tenants, SAMPLE_UPLOAD, tmp_path, tenant=NEIGHBOUR, commit=True, allow_large_changes=True
    )
    assert (ours.status, theirs.status) == (COMMITTED, COMMITTED)
    # Both committed the same SIS IDs; the neighbour's later run does not block the demo's rollback.
    neighbour_after_import = tenant_content(two_tenants, NEIGHBOUR)
    rollback_run(two_tenants, ours.run_id)
    assert roster_state(two_tenants) == demo_before
    assert tenant_content(two_tenants, NEIGHBOUR) == neighbour_after_import


def tampered(outcome_folder: Path, change) -> None:  # type: ignore[no-untyped-def]
    """Rewrite a saved plan through ``change(plan)`` (as a person with access to the files could)."""
    folder = outcome_folder / "plan"
    plan = load_plan(folder)
    change(plan)
    save_plan(plan, folder)


@pytest.mark.parametrize(
    "edit",
    ["updated_row_id", "created_student_school", "created_link_parent", "removed_link_id"],
)
def test_a_reviewed_plan_edited_to_name_the_neighbours_rows_is_refused(
    two_tenants: Engine, tmp_path: Path, edit: str
) -> None:
    if edit == "removed_link_id":  # a second upload without the Art Club's teacher removes a link
        import_upload(two_tenants, SAMPLE_UPLOAD, tmp_path, commit=True)
    neighbour = tenant_content(two_tenants, NEIGHBOUR)
    demo_before = roster_state(two_tenants)
    dry = import_upload(two_tenants, SAMPLE_UPLOAD, tmp_path)
    patel = their(two_tenants, "staff", email="r.patel@lakeside.example.org")
    elm_high = their(two_tenants, "schools", school_id="sch-9901")
    hilda = their(two_tenants, "students", sis_id="0001001")
    their_enrollment = int(roster_table(two_tenants, "enrollments", NEIGHBOUR)["id"].iloc[0])

    def change(plan) -> None:  # type: ignore[no-untyped-def]
        staff, students = plan.entities["staff"], plan.entities["students"]
        if edit == "updated_row_id":
            staff.loc[staff["action"] == "UPDATED", "id"] = patel
        elif edit == "created_student_school":
            students.loc[students["action"] == "CREATED", "school_pk"] = elm_high
        elif edit == "created_link_parent":
            links = plan.entities["student_enrollments"]
            links.loc[links["action"] == "CREATED", "student_id"] = hilda
        else:
            links = plan.entities["staff_enrollments"]
            links.loc[links.index[:1], ["action", "id"]] = ["REMOVED", their_enrollment]

    tampered(dry.run_folder, change)
    status, message, _ = apply_reviewed_run(two_tenants, dry.run_id, tmp_path)
    assert status == REJECTED and f"not {DEMO}'s" in message, message
    assert tenant_content(two_tenants, NEIGHBOUR) == neighbour
    assert roster_state(two_tenants) == demo_before


@pytest.mark.parametrize(
    ("edit", "reference"),
    [("created_link_parent", "enrollments.student_id"), ("created_student_school", "students.school_pk")],
)
def test_rows_pointing_at_the_neighbours_are_caught_after_writing_without_the_ownership_check(
    two_tenants: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, edit: str, reference: str
) -> None:
    """The roster tables an import writes have no foreign keys; the bulk check after writing stands in."""
    monkeypatch.setattr("roster_pipeline.apply.commit.foreign_rows", lambda *_: {})
    neighbour = tenant_content(two_tenants, NEIGHBOUR)
    demo_before = roster_state(two_tenants)
    dry = import_upload(two_tenants, SAMPLE_UPLOAD, tmp_path)
    hilda = their(two_tenants, "students", sis_id="0001001")
    elm_high = their(two_tenants, "schools", school_id="sch-9901")

    def change(plan) -> None:  # type: ignore[no-untyped-def]
        if edit == "created_link_parent":
            links = plan.entities["student_enrollments"]
            links.loc[links.index[links["action"] == "CREATED"][:1], "student_id"] = hilda
        else:
            students = plan.entities["students"]
            students.loc[students["action"] == "CREATED", "school_pk"] = elm_high

    tampered(dry.run_folder, change)
    status, message, _ = apply_reviewed_run(two_tenants, dry.run_id, tmp_path)
    assert status == REJECTED and "would point rows at records that are not" in message, message
    assert reference in message
    assert tenant_content(two_tenants, NEIGHBOUR) == neighbour
    assert roster_state(two_tenants) == demo_before


def test_a_reviewed_run_whose_saved_plan_is_another_tenants_is_refused(
    two_tenants: Engine, tmp_path: Path
) -> None:
    ours = import_upload(two_tenants, SAMPLE_UPLOAD, tmp_path)
    theirs = import_upload(two_tenants, SAMPLE_UPLOAD, tmp_path, tenant=NEIGHBOUR)
    neighbour = tenant_content(two_tenants, NEIGHBOUR)
    # The demo's run folder now holds the neighbour's plan (a mix-up, or a swap).
    summary = json.loads((theirs.run_folder / "plan" / SUMMARY).read_text())
    save_plan(load_plan(theirs.run_folder / "plan"), ours.run_folder / "plan")
    assert json.loads((ours.run_folder / "plan" / SUMMARY).read_text())["tenant"] == summary["tenant"]
    with pytest.raises(PlanRefused, match=f"run of {DEMO}"):
        apply_reviewed_run(two_tenants, ours.run_id, tmp_path)
    assert tenant_content(two_tenants, NEIGHBOUR) == neighbour


def test_an_archive_of_one_tenant_never_archives_the_neighbours_students(
    two_tenants: Engine, tmp_path: Path
) -> None:
    import_upload(two_tenants, SAMPLE_UPLOAD, tmp_path, commit=True)
    neighbour = tenant_content(two_tenants, NEIGHBOUR)
    with pytest.raises(UnknownSchools, match="sch-9901"):
        run_archive_students(two_tenants, DEMO, tmp_path, ["sch-9901"], commit=True)
    _, status, _, _ = run_archive_students(two_tenants, DEMO, tmp_path, ["sch-0101"], commit=True)
    assert status == COMMITTED  # sch-0101 is also a School ID of the neighbour's: only the demo's school
    assert tenant_content(two_tenants, NEIGHBOUR) == neighbour
    run_archive_students(two_tenants, DEMO, tmp_path, commit=True)  # every school of the demo
    assert roster_table(two_tenants, "students")["archived_at"].notna().all()
    assert tenant_content(two_tenants, NEIGHBOUR) == neighbour


def test_merges_and_classroom_ids_naming_the_neighbours_records_are_refused(
    two_tenants: Engine, tmp_path: Path
) -> None:
    import_upload(two_tenants, SAMPLE_UPLOAD, tmp_path, commit=True)
    neighbour, demo_before = tenant_content(two_tenants, NEIGHBOUR), roster_state(two_tenants)
    zoe = their(two_tenants, "students", given_name="Zoë")
    with pytest.raises(MergeRefused, match="not active students without an SIS ID"):
        pairs = pd.DataFrame({"student_key": ["0001001"], "existing_id": [zoe]})
        run_student_merges(two_tenants, DEMO, tmp_path, pairs, commit=True)
    hr4 = their(two_tenants, "classrooms", title="Grade 4 Homeroom")
    with pytest.raises(ClassroomIdsRefused, match="not active classrooms without an SIS ID"):
        accepted = pd.DataFrame({"classroom_id": [hr4], "class_sis_id": ["c-0101-hr4"]})
        run_classroom_ids(two_tenants, DEMO, tmp_path, accepted, commit=True)
    with pytest.raises(SchoolIdRefused, match="no school 'Elm High'"):
        set_school_id(two_tenants, DEMO, "Elm High", "sch-7777")
    assert tenant_content(two_tenants, NEIGHBOUR) == neighbour
    assert roster_state(two_tenants) == demo_before


def test_one_tenants_merge_review_cannot_read_another_tenants_candidates(
    two_tenants: Engine, tmp_path: Path
) -> None:
    theirs = import_upload(two_tenants, SAMPLE_UPLOAD, tmp_path, tenant=NEIGHBOUR)
    assert len(merge_candidates_of(two_tenants, theirs.run_id, tmp_path, NEIGHBOUR)) == 1
    with pytest.raises(PlanRefused, match=f"not a run of {DEMO}"):
        merge_candidates_of(two_tenants, theirs.run_id, tmp_path, DEMO)
