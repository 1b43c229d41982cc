"""The roster database: migrations, fixtures and per-tenant snapshots."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, func, insert, inspect, select, update
from sqlalchemy.exc import IntegrityError

from roster_pipeline.import_run import load_snapshot
from roster_pipeline.roster.fixtures import FixtureError, load_fixture
from roster_pipeline.roster.migrate import downgrade, upgrade
from roster_pipeline.roster.models import (
    Base,
    Classroom,
    District,
    Enrollment,
    Guardian,
    StudentAttribute,
    StudentGuardian,
)
from roster_pipeline.roster.snapshot import read_snapshot
from roster_pipeline.roster.tenants import find_tenant
from roster_pipeline_tests.conftest import SAMPLE_UPLOAD
from roster_pipeline_tests.importing import import_upload, roster_fingerprint, roster_table

TABLES = {
    "districts",
    "schools",
    "classrooms",
    "students",
    "staff",
    "guardians",
    "enrollments",
    "student_guardians",
    "student_attributes",
    "import_runs",
    "change_log",
}


def test_migrations_create_every_table_and_run_again_harmlessly(roster_engine: Engine) -> None:
    upgrade(roster_engine)
    assert set(inspect(roster_engine).get_table_names()) >= TABLES
    downgrade(roster_engine, "base")
    assert not TABLES & set(inspect(roster_engine).get_table_names())
    upgrade(roster_engine)
    assert set(inspect(roster_engine).get_table_names()) >= TABLES


def test_a_snapshot_holds_only_its_own_tenants_rows(demo_roster: Engine) -> None:
    with demo_roster.begin() as connection:
        load_fixture(
            connection,
            {
                "tenant": "district-0099",
                "schools": [{"name": "Elm High", "school_id": "sch-0101"}],  # the same School ID, elsewhere
                "students": [{"sis_id": "0001001", "given_name": "Other", "family_name": "Kid"}],
            },
        )
    assert roster_table(demo_roster, "students")["given_name"].tolist() == ["Noah"]
    assert roster_table(demo_roster, "students", "district-0099")["given_name"].tolist() == ["Other"]
    assert roster_table(demo_roster, "schools", "district-0099")["school_id"].tolist() == ["sch-0101"]


@pytest.mark.parametrize(
    ("document", "error"),
    [
        ({"name": "no tenant"}, "at least `tenant:`"),
        ({"tenant": "acme"}, "district-<id> or school-<id>"),
        (
            {
                "tenant": "district-1",
                "schools": [{"name": "A"}],
                "classrooms": [{"school": "B", "title": "x"}],
            },
            "unknown school 'B'",
        ),
        (
            {"tenant": "district-1", "enrollments": [{"classroom": "c-1", "student": "s-1"}]},
            "unknown classrooms",
        ),
        ({"tenant": "school-1", "schools": [{"name": "A"}, {"name": "B"}]}, "exactly one school"),
    ],
)
def test_a_bad_fixture_says_what_is_wrong(roster_engine: Engine, document: dict, error: str) -> None:
    with pytest.raises((FixtureError, ValueError), match=error), roster_engine.begin() as connection:
        load_fixture(connection, document)


def test_the_fingerprint_changes_with_any_field_of_any_row(demo_roster: Engine) -> None:
    before = roster_fingerprint(demo_roster)
    assert roster_fingerprint(demo_roster) == before
    with demo_roster.begin() as connection:
        connection.execute(update(Classroom).where(Classroom.title == "Art Club").values(location="Room 9"))
    assert roster_fingerprint(demo_roster) != before


def test_the_snapshot_and_the_database_agree_on_the_fingerprint(demo_roster: Engine, tmp_path) -> None:

    import_upload(demo_roster, SAMPLE_UPLOAD, tmp_path, commit=True)  # archived, manual and SIS rows alike
    assert load_snapshot(demo_roster, "district-0042").fingerprint == roster_fingerprint(demo_roster)


def test_the_snapshot_shows_its_transactions_state_whatever_commits_while_it_is_read(
    demo_roster: Engine, tmp_path
) -> None:
    """Other imports commit after the reading transaction has begun, and again between its first
    tables and the rest: every table, and the fingerprint a plan is checked against, still shows
    the state the transaction began with."""
    import_upload(demo_roster, SAMPLE_UPLOAD, tmp_path, commit=True)
    before = roster_fingerprint(demo_roster)

    def another_import_commits(language: str) -> None:
        with demo_roster.begin() as connection:
            connection.execute(update(Guardian).values(language=language))

    options = {"isolation_level": "REPEATABLE READ"} if demo_roster.dialect.name == "postgresql" else {}
    with demo_roster.connect().execution_options(**options) as connection, connection.begin():
        tenant = find_tenant(connection, "district-0042")
        another_import_commits("Klingon")
        snapshot = read_snapshot(connection, tenant, on_context=lambda *_: another_import_commits("Elvish"))

    assert len(snapshot.guardians) and not {"Klingon", "Elvish"} & set(snapshot.guardians["language"])
    assert snapshot.fingerprint == before != roster_fingerprint(demo_roster)


def test_the_migrations_describe_the_models_exactly(roster_engine: Engine) -> None:
    with roster_engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []


def test_every_table_of_tenants_rows_has_a_key_leading_with_the_tenant(roster_engine: Engine) -> None:
    """A snapshot reads one tenant's rows of each table: without such a key it would read every
    tenant's."""
    inspector = inspect(roster_engine)
    for table in TABLES - {"districts", "import_runs"}:
        keys = inspector.get_indexes(table) + inspector.get_unique_constraints(table)
        # A partial index serves only the queries that repeat its condition.
        whole = [key for key in keys if not any(o.endswith("_where") for o in key.get("dialect_options", {}))]
        assert any(key["column_names"][0] in ("district_id", "run_id") for key in whole), table


def test_upgrading_to_keys_led_by_the_tenant_keeps_the_rows_and_their_unique_rules(
    roster_engine: Engine,
) -> None:
    downgrade(roster_engine, "0004")
    with roster_engine.begin() as connection:
        district = connection.execute(
            insert(District).values(tenant="d-1", name="D").returning(District.id)
        ).scalar_one()
        connection.execute(
            insert(StudentAttribute),
            [{"district_id": district, "student_id": 7, "attribute": name, "value": "x"} for name in "ab"],
        )
        connection.execute(insert(StudentGuardian).values(district_id=district, student_id=7, guardian_id=8))
        connection.execute(
            insert(Enrollment).values(district_id=district, classroom_id=5, student_id=7, role="student")
        )
    upgrade(roster_engine)
    assert _count(roster_engine, StudentAttribute) == 2
    duplicates = {
        StudentAttribute: {"student_id": 7, "attribute": "a"},
        StudentGuardian: {"student_id": 7, "guardian_id": 8},
        Enrollment: {"classroom_id": 5, "student_id": 7, "role": "student"},
    }
    for model, values in duplicates.items():
        with pytest.raises(IntegrityError), roster_engine.begin() as connection:
            connection.execute(insert(model).values(district_id=district, **values))
    downgrade(roster_engine, "0004")
    upgrade(roster_engine)
    assert _count(roster_engine, Enrollment) == 1


def _count(engine: Engine, model: type[Base]) -> int:
    with engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(model)).scalar_one()


def test_snapshot_rows_come_in_id_order_after_updates_move_them(demo_roster: Engine, tmp_path) -> None:
    import_upload(demo_roster, SAMPLE_UPLOAD, tmp_path, commit=True)
    with demo_roster.begin() as connection:  # PostgreSQL writes the new versions at the heap's end
        rekeyed = update(Classroom).where(Classroom.sis_id == "c-0101-hr3").values(sis_id="c-0101-hr3-x")
        connection.execute(rekeyed)
    snapshot = load_snapshot(demo_roster, "district-0042")
    for name in ("classrooms", "students", "enrollments"):
        ids = getattr(snapshot, name)["id"]
        assert ids.is_monotonic_increasing and ids.is_unique, name
