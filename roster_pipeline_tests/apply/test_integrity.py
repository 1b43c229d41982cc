"""Links hold without per-row foreign keys: the bulk check finds links to missing records and to another
tenant's, the database refuses an enrollment of nobody, and a rollback that would strand links is
refused; on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import Engine, insert, select
from sqlalchemy.exc import IntegrityError

from roster_pipeline.apply.integrity import dangling_links, link_watermarks
from roster_pipeline.apply.rollback import RollbackRefused, rollback_run
from roster_pipeline.roster.fixtures import load_fixture
from roster_pipeline.roster.models import Enrollment, Student, StudentAttribute
from roster_pipeline.roster.tenants import find_tenant
from roster_pipeline_tests.conftest import SAMPLE_UPLOAD
from roster_pipeline_tests.importing import DEMO, edit_csv, import_upload, roster_state, roster_table


def _enroll(connection, district_id: int, classroom_id: int, student_id: int | None) -> None:
    connection.execute(
        insert(Enrollment).values(
            district_id=district_id, classroom_id=classroom_id, student_id=student_id, role="student"
        )
    )


def test_links_to_missing_or_foreign_records_are_found_and_only_above_the_watermark(
    demo_roster: Engine, tmp_path: Path
) -> None:
    import_upload(demo_roster, SAMPLE_UPLOAD, tmp_path, commit=True)
    classroom = int(roster_table(demo_roster, "classrooms")["id"].iloc[0])
    student = int(roster_table(demo_roster, "students")["id"].iloc[0])
    with demo_roster.connect() as connection:
        demo = find_tenant(connection, DEMO).id
        assert dangling_links(connection, demo) == {}  # an import leaves every link holding

        other = load_fixture(
            connection,
            {
                "tenant": "district-0043",
                "students": [{"sis_id": "x-1", "given_name": "A", "family_name": "B"}],
            },
        )
        foreign_student = connection.execute(
            select(Student.id).where(Student.district_id == other)
        ).scalar_one()
        marks = link_watermarks(connection)
        _enroll(connection, demo, classroom, foreign_student)
        _enroll(connection, demo, classroom + 100_000, student)
        connection.execute(
            insert(StudentAttribute).values(
                district_id=demo, student_id=student + 100_000, attribute="ell", value="true"
            )
        )
        expected = {
            "enrollments.classroom_id": 1,
            "enrollments.student_id": 1,
            "student_attributes.student_id": 1,
        }
        assert dangling_links(connection, demo) == expected
        assert dangling_links(connection, demo, since=marks) == expected
        assert dangling_links(connection, demo, since=link_watermarks(connection)) == {}
        assert dangling_links(connection, other) == {}
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
