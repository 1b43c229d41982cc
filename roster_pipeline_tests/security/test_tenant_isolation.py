"""An upload for one tenant reads and changes only that tenant's rows, on SQLite and PostgreSQL.

Every test imports the demo district's sample upload next to a neighbour (tenancy.py) holding the
upload's School IDs, its SIS IDs, and people and classes made by hand that look like the upload's. Each
checks the neighbour byte for byte before and after, and where it proves a point, that the same
upload imported into the neighbour does match the neighbour's rows (so a miss is isolation, not luck).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import Engine

from roster_pipeline.apply.rollback import rollback_run
from roster_pipeline.apply.runs import COMMITTED, REJECTED
from roster_pipeline.import_run import load_snapshot
from roster_pipeline.plan.actions import CREATED
from roster_pipeline.roster.fixtures import load_fixture
from roster_pipeline_tests.conftest import SAMPLE_UPLOAD
from roster_pipeline_tests.importing import DEMO, edit_csv, import_upload, roster_state, roster_table
from roster_pipeline_tests.security.tenancy import NEIGHBOUR, tenant_content

UPLOAD_KEYS = {
    "students": {"0001001", "0001002", "0001003", "0001004", "0002001", "0002002", "0002003", "0002004"},
    "classrooms": {"c-0101-hr3", "c-0101-hr4", "c-0102-m7p1", "c-0102-m7p2"},
    "guardians": {"g-5001", "g-5002", "g-5003", "g-5004", "g-5005", "g-5006", "g-5007", "p-0001003"},
}


def ids_of(engine: Engine, tenant: str, table: str) -> set[int]:
    return set(roster_table(engine, table, tenant)["id"].astype(int))


def test_foreign_sis_ids_become_this_tenants_own_records(two_tenants: Engine, tmp_path: Path) -> None:
    neighbour = tenant_content(two_tenants, NEIGHBOUR)
    demo_before = roster_state(two_tenants)
    outcome = import_upload(two_tenants, SAMPLE_UPLOAD, tmp_path, commit=True)
    assert outcome.status == COMMITTED, outcome.message
    for entity, keys in UPLOAD_KEYS.items():
        plan = outcome.plan.entities[entity]
        assert set(plan.loc[plan["action"] == CREATED, "key"]) == keys, entity
    for entity in ("classrooms", "students", "staff", "guardians"):
        named = outcome.plan.entities[entity]["id"].dropna().astype(int)
        assert set(named) <= ids_of(two_tenants, DEMO, entity), entity
    demo_students = roster_table(two_tenants, "students").query("sis_id != ''")
    assert set(demo_students["sis_id"]) == UPLOAD_KEYS["students"]
    # sch-0101 is a School ID of both districts: the demo's students sit in the demo's school.
    assert set(demo_students["school_pk"].astype(int)) <= ids_of(two_tenants, DEMO, "schools")
    assert tenant_content(two_tenants, NEIGHBOUR) == neighbour

    rollback_run(two_tenants, outcome.run_id)
    assert roster_state(two_tenants) == demo_before
    assert tenant_content(two_tenants, NEIGHBOUR) == neighbour


def test_people_are_never_matched_by_contact_across_tenants(two_tenants: Engine, tmp_path: Path) -> None:
    neighbour = tenant_content(two_tenants, NEIGHBOUR)
    plan = import_upload(two_tenants, SAMPLE_UPLOAD, tmp_path).plan
    staff = plan.entities["staff"].set_index("key")
    guardians = plan.entities["guardians"].set_index("key")
    # The neighbour's Patel and Lefevre (same emails), Siobhán (email) and Declan (sms): not matched.
    assert staff.loc[["t-0102", "t-0201"], "action"].tolist() == [CREATED, CREATED]
    assert guardians.loc[["g-5002", "g-5003"], "action"].tolist() == [CREATED, CREATED]
    # The demo's own Okafor (made by hand, same email) is matched: contact matching works within a tenant.
    okafor = roster_table(two_tenants, "staff").query("email == 'h.okafor@lakeside.example.org'")["id"]
    assert staff.loc["t-0101", ["action", "id"]].tolist() == ["UPDATED", int(okafor.iloc[0])]
    snapshot = load_snapshot(two_tenants, DEMO)
    assert "r.patel@lakeside.example.org" not in set(snapshot.staff["email"])
    assert tenant_content(two_tenants, NEIGHBOUR) == neighbour

    # The same upload into the neighbour does match the neighbour's people: the data would match.
    theirs = import_upload(two_tenants, SAMPLE_UPLOAD, tmp_path, tenant=NEIGHBOUR).plan
    their_staff = theirs.entities["staff"].set_index("key")["action"]
    their_guardians = theirs.entities["guardians"].set_index("key")["action"]
    assert their_staff[["t-0102", "t-0201"]].tolist() == ["UPDATED", "UPDATED"]
    assert their_guardians[["g-5002", "g-5003"]].tolist() == ["UPDATED", "UPDATED"]


def test_merge_candidates_and_classroom_suggestions_stay_in_the_tenant(
    two_tenants: Engine, tmp_path: Path
) -> None:
    outcome = import_upload(two_tenants, SAMPLE_UPLOAD, tmp_path)
    candidates = outcome.plan.merge_candidates
    noah = roster_table(two_tenants, "students").query("sis_id == '' and given_name == 'Noah'")["id"]
    assert candidates[["student_key", "existing_id"]].astype(str).values.tolist() == [
        ["0001004", str(int(noah.iloc[0]))]
    ]
    suggestions = pd.read_csv(outcome.run_folder / "results" / "classroom_suggestions.csv")
    assert set(suggestions["classroom_id"]) <= ids_of(two_tenants, DEMO, "classrooms")

    theirs = import_upload(two_tenants, SAMPLE_UPLOAD, tmp_path, tenant=NEIGHBOUR)
    their_students = roster_table(two_tenants, "students", NEIGHBOUR).set_index("id")
    matched = their_students.loc[theirs.plan.merge_candidates["existing_id"].astype(int), "given_name"]
    assert set(matched) == {"Amélie"}  # their 0001001 exists, so only Amélie is created there
    their_suggestions = pd.read_csv(theirs.run_folder / "results" / "classroom_suggestions.csv")
    assert "Grade 4 Homeroom" in set(their_suggestions["classroom_title"])


@pytest.mark.parametrize(
    ("file", "column", "line"),
    [
        ("users.csv", "orgSourcedIds", 2),
        ("classes.csv", "schoolSourcedId", 2),
        ("enrollments.csv", "schoolSourcedId", 2),
    ],
)
def test_a_school_id_only_the_neighbour_has_is_rejected_in_every_file(
    two_tenants: Engine, sample_copy: Path, tmp_path: Path, file: str, column: str, line: int
) -> None:
    both = roster_state(two_tenants), tenant_content(two_tenants, NEIGHBOUR)  # the demo's run is recorded
    edit_csv(
        sample_copy, file, lambda rows: rows.assign(**{column: rows[column].replace("sch-0101", "sch-9901")})
    )
    orgs = sample_copy / "orgs.csv"  # naming the school in orgs.csv does not make it the demo's
    orgs.write_text(
        orgs.read_text() + "sch-9901,active,2026-08-01T00:00:00Z,Elm High,school,9901,dist-0042\n"
    )
    outcome = import_upload(two_tenants, sample_copy, tmp_path, commit=True)
    assert outcome.status == REJECTED
    unknown = outcome.validated.issues.query("code == 'unknown_school'")
    assert (file, line, column, "sch-9901") in set(
        unknown[["file", "line", "column", "value"]].itertuples(index=False, name=None)
    )
    assert (roster_state(two_tenants), tenant_content(two_tenants, NEIGHBOUR)) == both


def test_a_school_tenants_upload_naming_a_districts_school_stays_in_its_own_school(
    two_tenants: Engine, sample_copy: Path, tmp_path: Path
) -> None:
    with two_tenants.begin() as connection:
        load_fixture(connection, {"tenant": "school-maple", "schools": [{"name": "Maple Elementary"}]})
    others = tenant_content(two_tenants, DEMO), tenant_content(two_tenants, NEIGHBOUR)
    # Every row still names sch-0101 / sch-0102, School IDs of both districts but not of this school:
    # a school upload's School IDs are optional and not matched, so all of it lands in its one school.
    outcome = import_upload(two_tenants, sample_copy, tmp_path, tenant="school-maple", commit=True)
    assert outcome.status == COMMITTED, outcome.message
    assert (tenant_content(two_tenants, DEMO), tenant_content(two_tenants, NEIGHBOUR)) == others
    for table in ("students", "staff", "classrooms"):
        rows = roster_table(two_tenants, table, "school-maple")
        assert set(rows["school_pk"].astype(int)) == ids_of(two_tenants, "school-maple", "schools")
