"""References hold without per-row foreign keys: the bulk check finds rows pointing at missing records
or schools and at another tenant's, the database refuses an enrollment of nobody, and a rollback that
would strand links is refused; on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest
from sqlalchemy import Engine, insert, select, update
from sqlalchemy.exc import IntegrityError

from roster_pipeline.apply.integrity import dangling_references, ids_outside
from roster_pipeline.apply.rollback import RollbackRefused, rollback_run
from roster_pipeline.roster.fixtures import load_fixture
from roster_pipeline.roster.models import Enrollment, School, Student, StudentAttribute
from roster_pipeline.roster.tenants import find_tenant
from roster_pipeline_tests.conftest import SAMPLE_UPLOAD
from roster_pipeline_tests.importing import DEMO, edit_csv, import_upload, roster_state, roster_table


def _enroll(connection, district_id: int, classroom_id: int, student_id: int | None) -> None:
    connection.execute(
        insert(Enrollment).values(
            district_id=district_id, classroom_id=classroom_id, student_id=student_id, role="student"
        )
    )


def test_rows_pointing_at_missing_or_foreign_rows_are_found(demo_roster: Engine, tmp_path: Path) -> None:
    import_upload(demo_roster, SAMPLE_UPLOAD, tmp_path, commit=True)
    classroom = int(roster_table(demo_roster, "classrooms")["id"].iloc[0])
    student = int(roster_table(demo_roster, "students")["id"].iloc[0])
    with demo_roster.connect() as connection:
        demo = find_tenant(connection, DEMO).id
        assert dangling_references(connection, demo) == {}  # an import leaves every reference holding

        other = load_fixture(
            connection,
            {
                "tenant": "district-0043",
                "schools": [{"name": "Far Away High", "school_id": "sch-x"}],
                "students": [{"sis_id": "x-1", "given_name": "A", "family_name": "B"}],
            },
        )
        foreign_student = connection.execute(
            select(Student.id).where(Student.district_id == other)
        ).scalar_one()
        far_away = connection.execute(select(School.id).where(School.district_id == other)).scalar_one()
        connection.execute(update(Student).where(Student.id == student).values(school_pk=far_away))
        _enroll(connection, demo, classroom, foreign_student)
        _enroll(connection, demo, classroom + 100_000, student)
        connection.execute(
            insert(StudentAttribute).values(
                district_id=demo, student_id=student + 100_000, attribute="ell", value="true"
            )
        )
        expected = {
            "students.school_pk": 1,
            "enrollments.classroom_id": 1,
            "enrollments.student_id": 1,
            "student_attributes.student_id": 1,
        }
        assert dangling_references(connection, demo) == expected
        assert dangling_references(connection, other) == {}
        connection.rollback()


def test_an_enrollment_of_nobody_or_of_two_people_is_refused_by_the_database(demo_roster: Engine) -> None:
    with demo_roster.connect() as connection:
        demo = find_tenant(connection, DEMO).id
        for student, staff in ((None, None), (1, 1)):
            with pytest.raises(IntegrityError), connection.begin_nested():
                connection.execute(
                    insert(Enrollment).values(
                        district_id=demo, classroom_id=1, student_id=student, staff_id=staff, role="student"
                    )
                )
        connection.rollback()


def test_a_rollback_that_would_strand_a_later_runs_links_is_refused(
    demo_roster: Engine, sample_copy: Path, tmp_path: Path
) -> None:
    first = import_upload(demo_roster, SAMPLE_UPLOAD, tmp_path, commit=True)
    # A later run enrols a student the first run created into one more classroom.
    one_more = lambda rows: pd.concat(  # noqa: E731
        [rows, rows.iloc[[1]].assign(sourcedId="e-9999", classSourcedId="c-0101-hr4")], ignore_index=True
    )
    edit_csv(sample_copy, "enrollments.csv", one_more)
    import_upload(demo_roster, sample_copy, tmp_path, commit=True)
    state = roster_state(demo_roster)

    with pytest.raises(RollbackRefused, match=r"would leave links to records it removes \(1 enrollments"):
        rollback_run(demo_roster, first.run_id)
    assert roster_state(demo_roster) == state


def test_ids_about_to_be_written_are_counted_when_the_tenant_does_not_own_them() -> None:
    owned = pa.array([3, 5, 8], pa.int64())
    written = pd.Series([3, 4, pd.NA, 8, 9, 9], dtype="Int64")  # <NA>: no reference at all
    assert ids_outside(written, owned) == 3
    assert ids_outside(pd.Series([5, pd.NA], dtype="Int64"), owned) == 0
    assert ids_outside(pd.Series([], dtype="Int64"), owned) == 0
    assert ids_outside(pd.Series([1], dtype="Int64"), pa.array([], pa.int64())) == 1
