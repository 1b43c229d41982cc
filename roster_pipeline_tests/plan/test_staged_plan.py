"""Plans built from real uploads against the demo roster: matching, deltas, re-keys, school uploads,
and saving a plan for analysts."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import Engine

from roster_pipeline.plan.actions import CHANGING
from roster_pipeline.plan.storage import load_plan, save_plan
from roster_pipeline.roster.fixtures import load_fixture
from roster_pipeline_tests.conftest import SAMPLE_UPLOAD
from roster_pipeline_tests.importing import edit_csv, import_upload, rename_students, results_of

pytestmark = pytest.mark.usefixtures("demo_roster")


def test_a_delta_file_changes_only_its_rows_and_tobedeleted_archives(
    demo_roster: Engine, sample_copy: Path, tmp_path: Path
) -> None:
    import_upload(demo_roster, SAMPLE_UPLOAD, tmp_path, commit=True)
    manifest = sample_copy / "manifest.csv"
    manifest.write_text(manifest.read_text().replace("file.users,bulk", "file.users,delta"))
    edit_csv(
        sample_copy,
        "users.csv",
        lambda users: users[users["sourcedId"].isin(["0001001", "0002004"])].assign(
            status=lambda u: u["status"].where(u["sourcedId"] != "0002004", "tobedeleted")
        ),
    )
    for name in ("enrollments.csv", "guardians.csv", "student_attributes.csv"):
        (sample_copy / name).unlink()
    manifest.write_text(
        "\n".join(
            line
            for line in manifest.read_text().splitlines()
            if "enrollments" not in line and "guardians" not in line and "student_attributes" not in line
        )
        + "\n"
    )
    plan = import_upload(demo_roster, sample_copy, tmp_path).plan
    students = plan.entities["students"].set_index("key")["action"]
    assert students.to_dict() == {"0001001": "UNCHANGED", "0002004": "ARCHIVED"}
    assert plan.counts().set_index("entity").loc["staff"].get("ARCHIVED", 0) == 0


def test_a_student_given_a_new_sis_id_is_flagged_as_a_rekey(
    demo_roster: Engine, sample_copy: Path, tmp_path: Path
) -> None:
    import_upload(demo_roster, SAMPLE_UPLOAD, tmp_path, commit=True)
    rename_students(sample_copy, {"0001002": "S-1002"})
    plan = import_upload(demo_roster, sample_copy, tmp_path, allow_large_changes=True).plan
    assert plan.rekeys[["entity", "archived_key", "created_key"]].values.tolist() == [
        ["students", "0001002", "S-1002"]
    ]
    assert "a new SIS ID?" in plan.rekeys["message"].iloc[0]


def test_a_guardian_made_by_hand_is_matched_by_sms(demo_roster: Engine, tmp_path: Path) -> None:
    with demo_roster.begin() as connection:
        load_fixture(
            connection,
            {
                "tenant": "district-0043",
                "schools": [
                    {"name": "Maple", "school_id": "sch-0101"},
                    {"name": "Cedar", "school_id": "sch-0102"},
                ],
                "guardians": [
                    {"ref": "declan", "given_name": "Declan", "family_name": "OBrien", "sms": "+15555550104"}
                ],
            },
        )
    plan = import_upload(demo_roster, SAMPLE_UPLOAD, tmp_path, tenant="district-0043").plan
    guardians = plan.entities["guardians"].set_index("key")
    assert guardians.loc["g-5003", "action"] == "UPDATED"
    assert guardians.loc["g-5003", "changed"] == "sis_id,managed_by,family_name,language"


def test_a_school_upload_needs_no_school_ids(demo_roster: Engine, sample_copy: Path, tmp_path: Path) -> None:
    with demo_roster.begin() as connection:
        load_fixture(connection, {"tenant": "school-maple", "schools": [{"name": "Maple Elementary"}]})
    maple = lambda rows: rows.assign(orgSourcedIds="")  # noqa: E731
    edit_csv(sample_copy, "users.csv", maple)
    for name, column in (("classes.csv", "schoolSourcedId"), ("enrollments.csv", "schoolSourcedId")):
        edit_csv(sample_copy, name, lambda rows, c=column: rows.assign(**{c: ""}))
    (sample_copy / "orgs.csv").unlink()
    manifest = sample_copy / "manifest.csv"
    manifest.write_text(manifest.read_text().replace("file.orgs,bulk", "file.orgs,absent"))
    outcome = import_upload(demo_roster, sample_copy, tmp_path, tenant="school-maple", commit=True)
    assert outcome.status == "COMMITTED", outcome.validated.issues
    assert outcome.plan.counts().set_index("entity").loc["students", "CREATED"] == 8


def test_a_saved_plan_loads_back_identical(demo_roster: Engine, tmp_path: Path) -> None:
    plan = import_upload(demo_roster, SAMPLE_UPLOAD, tmp_path).plan
    loaded = load_plan(save_plan(plan, tmp_path / "saved"))
    assert loaded.fingerprint == plan.fingerprint
    for name, frame in plan.entities.items():
        pd.testing.assert_frame_equal(loaded.entities[name], frame, check_dtype=False)
    changes = pd.read_parquet(tmp_path / "saved" / "changes.parquet")
    assert changes.query("entity == 'staff' and action == 'UPDATED'")["field"].tolist() == [
        "sis_id",
        "managed_by",
        "username",
        "identifier",
    ]


def test_a_plans_change_counts_and_sample_agree_with_its_full_changes(
    demo_roster: Engine, tmp_path: Path
) -> None:
    plan = import_upload(demo_roster, SAMPLE_UPLOAD, tmp_path).plan
    changes = plan.changes()
    assert plan.change_counts() == changes.groupby("entity", sort=False).size().to_dict()
    changing_staff = plan.entities["staff"]["action"].isin(CHANGING).sum()
    assert plan.change_counts()["staff"] > changing_staff  # an update counts each field it changes

    sample = plan.changes(rows_per_entity=1)
    assert sample.groupby("entity")["key"].nunique().eq(1).all()
    assert set(sample["entity"]) == set(changes["entity"])
    staff = sample[sample["entity"] == "staff"]
    whole = changes[changes["key"].isin(staff["key"]) & (changes["entity"] == "staff")]
    pd.testing.assert_frame_equal(staff.reset_index(drop=True), whole.reset_index(drop=True))


def test_guardians_without_contact_are_skipped(
    demo_roster: Engine, sample_copy: Path, tmp_path: Path
) -> None:
    edit_csv(sample_copy, "guardians.csv", lambda rows: rows.assign(email="", sms=""))
    outcome = import_upload(demo_roster, sample_copy, tmp_path)
    assert outcome.plan.entities["guardians"]["key"].tolist() == ["p-0001003"]  # the users.csv parent
    assert set(results_of(outcome, "guardians.csv")["action"]) == {"SKIPPED"}
