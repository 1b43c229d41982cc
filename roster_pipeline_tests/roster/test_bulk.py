"""Bulk writes on PostgreSQL: an insert at least as large as its table rebuilds the table's indexes
after the COPY instead of updating them row by row. The rebuilt indexes are the ones dropped, a unique
rule still holds, and a failure leaves table and indexes as they were. The threshold is lowered so
the sample upload takes that path."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import Connection, Engine, func, select
from sqlalchemy.exc import IntegrityError

from roster_pipeline.apply.runs import COMMITTED
from roster_pipeline.roster import bulk
from roster_pipeline.roster.models import District, StudentAttribute
from roster_pipeline.roster.tenants import find_tenant
from roster_pipeline_tests.conftest import SAMPLE_UPLOAD
from roster_pipeline_tests.faults.database import on_postgresql
from roster_pipeline_tests.importing import DEMO, import_upload, roster_table

ATTRIBUTES = StudentAttribute.__table__


def _indexes(connection: Connection) -> dict[str, tuple[str, int]]:
    """Each index of the test's schema: its definition (with the constraint it backs) and its oid,
    which a rebuilt index changes."""
    rows = connection.exec_driver_sql(
        "SELECT c.relname, pg_get_indexdef(i.indexrelid) || coalesce(' ' || con.conname, ''), c.oid "
        "FROM pg_index AS i JOIN pg_class AS c ON c.oid = i.indexrelid "
        "LEFT JOIN pg_constraint AS con ON con.conindid = i.indexrelid AND con.conrelid = i.indrelid "
        "WHERE c.relnamespace = current_schema()::regnamespace"
    ).all()
    return {name: (definition, oid) for name, definition, oid in rows}


@pytest.fixture
def low_threshold(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bulk, "REBUILD_INDEXES_FROM", 2)


@on_postgresql
def test_a_first_import_rebuilds_each_tables_indexes_exactly_as_they_were(
    demo_roster: Engine, tmp_path: Path, low_threshold: None
) -> None:
    with demo_roster.connect() as connection:
        before = _indexes(connection)
    outcome = import_upload(demo_roster, SAMPLE_UPLOAD, tmp_path, commit=True)
    assert outcome.status == COMMITTED, outcome.message
    with demo_roster.connect() as connection:
        after = _indexes(connection)
    assert {name: definition for name, (definition, _) in after.items()} == {
        name: definition for name, (definition, _) in before.items()
    }
    rebuilt = {name for name in before if after[name][1] != before[name][1]}
    # The tables the import filled (the demo tenant holds a few enrollments and students already).
    assert {
        "pk_enrollments",
        "uq_enrollments_student",
        "ix_enrollments_district_id",
        "uq_student_attributes",
    } <= rebuilt
    assert "uq_schools_school_id" not in rebuilt  # the import writes no schools
    assert len(roster_table(demo_roster, "student_attributes")) > 0


@on_postgresql
def test_an_insert_breaking_a_unique_rule_fails_and_leaves_table_and_indexes_as_they_were(
    demo_roster: Engine, low_threshold: None
) -> None:
    with demo_roster.connect() as connection:
        before = _indexes(connection)
        district = find_tenant(connection, DEMO).id
        connection.rollback()
        students = [101, 102]  # no foreign key: bulk writes do not check references
        twice = pd.DataFrame(
            {
                "district_id": district,
                "student_id": [students[0], students[1], students[0]],
                "attribute": "ell",
                "value": ["true", "false", "false"],
            }
        )
        with pytest.raises(IntegrityError, match="uq_student_attributes"), connection.begin():
            bulk.insert_rows(connection, ATTRIBUTES, twice)
        assert _indexes(connection) == before
        assert roster_table(demo_roster, "student_attributes").empty


@on_postgresql
def test_an_insert_smaller_than_its_table_keeps_the_indexes(demo_roster: Engine, low_threshold: None) -> None:
    students = [101, 102, 103]
    with demo_roster.begin() as connection:
        district = find_tenant(connection, DEMO).id
        rows = pd.DataFrame(
            {"district_id": district, "student_id": students, "attribute": "ell", "value": "x"}
        )
        bulk.insert_rows(connection, ATTRIBUTES, rows)
        filled = _indexes(connection)
        bulk.insert_rows(connection, ATTRIBUTES, rows.head(2).assign(attribute="iep"))
        assert _indexes(connection) == filled  # 2 rows into a table of 3: updated, not rebuilt
    assert len(roster_table(demo_roster, "student_attributes")) == 5


@on_postgresql
def test_an_index_a_foreign_key_relies_on_is_never_dropped(demo_roster: Engine, low_threshold: None) -> None:
    """Schools and runs point at their district by foreign key: the districts' primary key stays."""
    with demo_roster.begin() as connection:
        before = _indexes(connection)
        districts = pd.DataFrame({"tenant": ["d-1", "d-2"], "name": ["One", "Two"], "scope": "district"})
        bulk.insert_rows(connection, District.__table__, districts)  # 2 rows into a table of 1
        after = _indexes(connection)
    assert after["pk_districts"] == before["pk_districts"]
    assert after["uq_districts_tenant"][0] == before["uq_districts_tenant"][0]
    assert after["uq_districts_tenant"][1] != before["uq_districts_tenant"][1]  # rebuilt: no key relies on it


@on_postgresql
def test_a_table_another_transaction_is_reading_is_written_without_a_rebuild_and_without_waiting(
    demo_roster: Engine, low_threshold: None
) -> None:
    """Waiting for that reader could deadlock with it (it may wait for a table this commit holds)."""
    rows = pd.DataFrame({"district_id": 1, "student_id": [101, 102, 103], "attribute": "ell", "value": "x"})
    with demo_roster.connect() as reader, demo_roster.connect() as writer:
        reader.execute(
            select(func.count()).select_from(ATTRIBUTES)
        ).scalar_one()  # holds its lock till the end
        before = _indexes(writer)
        writer.rollback()
        with writer.begin():
            writer.exec_driver_sql("SET LOCAL lock_timeout = '5s'")  # a wait would fail the test, not hang it
            bulk.insert_rows(writer, ATTRIBUTES, rows)
            assert _indexes(writer) == before
        reader.rollback()
    assert len(roster_table(demo_roster, "student_attributes")) == 3
