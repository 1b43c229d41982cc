"""What the roster_matches asset reports: how each record of the upload was matched."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine

from roster_pipeline.apply.runs import COMMITTED
from roster_pipeline.import_run import load_snapshot, load_upload_context
from roster_pipeline.matching.roster_matches import match_roster
from roster_pipeline.roster.fixtures import load_fixture
from roster_pipeline.upload.sources import read_upload
from roster_pipeline.validation.validate import validate_upload
from roster_pipeline_tests.conftest import SAMPLE_UPLOAD
from roster_pipeline_tests.importing import DEMO, import_upload, roster_table


def matched_counts(engine: Engine) -> dict[str, list[int]]:
    validated = validate_upload(read_upload(str(SAMPLE_UPLOAD)), load_upload_context(engine, DEMO))
    counts = match_roster(validated, load_snapshot(engine, DEMO)).matched_counts().set_index("entity")
    return {entity: row.tolist() for entity, row in counts.iterrows()}


def test_matched_counts_before_and_after_the_first_upload(demo_roster: Engine, tmp_path: Path) -> None:
    # in the upload, matched by SIS ID, matched by email or sms, new
    assert matched_counts(demo_roster) == {
        "classrooms": [4, 0, 0, 4],
        "students": [8, 0, 0, 8],
        "staff": [4, 0, 1, 3],  # Helen Okafor, typed in by hand, found by her email
        "guardians": [8, 0, 0, 8],
    }
    assert import_upload(demo_roster, SAMPLE_UPLOAD, tmp_path, commit=True).status == "COMMITTED"
    assert matched_counts(demo_roster) == {
        "classrooms": [4, 4, 0, 0],
        "students": [8, 8, 0, 0],
        "staff": [4, 4, 0, 0],
        "guardians": [8, 8, 0, 0],
    }


def test_a_school_upload_without_org_ids_puts_its_users_in_its_one_school(
    demo_roster: Engine, tmp_path: Path
) -> None:
    # orgSourcedIds is optional in a school upload (check passed it); the import crashed (KeyError).
    with demo_roster.begin() as connection:
        load_fixture(connection, {"tenant": "school-maple", "schools": [{"name": "Maple Elementary"}]})
    upload = tmp_path / "upload"
    upload.mkdir()
    (upload / "users.csv").write_text("sourcedId,role,givenName,familyName\n0001001,student,Zoe,Nunez\n")
    outcome = import_upload(demo_roster, upload, tmp_path, tenant="school-maple", commit=True)
    assert outcome.status == COMMITTED, outcome.message
    students = roster_table(demo_roster, "students", "school-maple")
    assert students["sis_id"].tolist() == ["0001001"] and students["school_pk"].notna().all()
