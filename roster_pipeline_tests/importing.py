"""Helpers for import tests: edit a copied upload, run an import, read the roster back."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd
from sqlalchemy import Engine, insert

from roster_pipeline.import_run import ImportOutcome, run_import, run_student_merges
from roster_pipeline.roster.fingerprint import frames_fingerprint
from roster_pipeline.roster.models import Enrollment, Guardian, StudentGuardian
from roster_pipeline.roster.snapshot import SNAPSHOT_TABLES, current_fingerprint, read_table
from roster_pipeline.roster.tenants import find_tenant
from roster_pipeline_tests.conftest import SAMPLE_UPLOAD

DEMO = "district-0042"


def edit_csv(folder: Path, name: str, change: Callable[[pd.DataFrame], pd.DataFrame]) -> None:
    """Rewrite one CSV of an upload through ``change`` (every value read and written as text)."""
    path = folder / name
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    change(frame).to_csv(path, index=False)


def rename_students(upload: Path, renamed: dict[str, str]) -> None:
    """Give students new SIS IDs in every file of the upload that names them."""
    for name, column in [
        ("users.csv", "sourcedId"),
        ("enrollments.csv", "userSourcedId"),
        ("guardians.csv", "studentSourcedId"),
        ("student_attributes.csv", "studentSourcedId"),
    ]:
        edit_csv(
            upload, name, lambda rows, column=column: rows.assign(**{column: rows[column].replace(renamed)})
        )


GONE = ["0002003", "0002004"]  # left out of the upload: archived without an input line


def archive_half_the_students(upload: Path) -> None:
    """Two students marked tobedeleted (lines 4 and 5 of users.csv), two left out altogether."""
    edit_csv(
        upload,
        "users.csv",
        lambda users: users[~users["sourcedId"].isin(GONE)].assign(
            status=users["status"].where(~users["sourcedId"].isin(["0001003", "0001004"]), "tobedeleted")
        ),
    )
    for name, column in [
        ("enrollments.csv", "userSourcedId"),
        ("guardians.csv", "studentSourcedId"),
        ("student_attributes.csv", "studentSourcedId"),
    ]:
        edit_csv(upload, name, lambda rows, column=column: rows[~rows[column].isin(GONE)])


def import_upload(engine: Engine, folder: Path, data_dir: Path, **options: object) -> ImportOutcome:
    return run_import(engine, str(folder), options.pop("tenant", DEMO), data_dir, **options)


def linked_again_after_a_merge(engine: Engine, data_dir: Path, put_back: str) -> str:
    """The demo's hand-made Noah Ng, with a hand-made guardian (Mary Roe), merged into 0001004 after
    the sample's first import; then the district's own app links Noah again to his guardian
    (``put_back="guardian"``) or to the hand-made Art Club (``"enrollment"``), as the merge had
    removed. Returns the merge's run id: rolling it back would make those links a second time."""
    import_upload(engine, SAMPLE_UPLOAD, data_dir, commit=True)
    students = roster_table(engine, "students")
    noah = int(students.loc[students["sis_id"] == "", "id"].iloc[0])
    district = int(students["district_id"].iloc[0])
    art_club = int(roster_table(engine, "classrooms").set_index("title").loc["Art Club", "id"])
    person = {"district_id": district, "managed_by": "manual", "given_name": "Mary", "family_name": "Roe"}
    with engine.begin() as connection:
        mary = connection.execute(
            insert(Guardian).values(**person, email="mary.roe@mail.example.com").returning(Guardian.id)
        ).scalar_one()
        guardian_link = insert(StudentGuardian).values(
            district_id=district, student_id=noah, guardian_id=mary
        )
        connection.execute(guardian_link)
    pairs = pd.DataFrame({"student_key": ["0001004"], "existing_id": [noah]})
    merge_id, status, _, _ = run_student_merges(engine, DEMO, data_dir, pairs, commit=True)
    assert status == "COMMITTED"
    with engine.begin() as connection:
        if put_back == "guardian":
            connection.execute(guardian_link)
        else:
            connection.execute(
                insert(Enrollment).values(
                    district_id=district, classroom_id=art_club, student_id=noah, role="student"
                )
            )
    return merge_id


def roster_table(engine: Engine, name: str, tenant: str = DEMO) -> pd.DataFrame:
    with engine.connect() as connection:
        return read_table(connection, SNAPSHOT_TABLES[name], find_tenant(connection, tenant).id)


def roster_state(engine: Engine, tenant: str = DEMO) -> str:
    """The tenant's whole roster, every row and field, as one hash: equal means the same content
    (unlike the product's fingerprint on PostgreSQL, which also changes when a row is rewritten as
    it was)."""
    with engine.connect() as connection:
        found = find_tenant(connection, tenant)
        tables = {name: read_table(connection, table, found.id) for name, table in SNAPSHOT_TABLES.items()}
    return frames_fingerprint(tenant, tables)


def roster_fingerprint(engine: Engine, tenant: str = DEMO) -> str:
    with engine.connect() as connection:
        return current_fingerprint(connection, find_tenant(connection, tenant))


def results_of(outcome: ImportOutcome, name: str) -> pd.DataFrame:
    path = outcome.run_folder / "results" / f"{name.removesuffix('.csv')}_results.csv"
    return pd.read_csv(path, dtype=str, keep_default_na=False).set_index("line")
