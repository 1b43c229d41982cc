"""Correctness at scale (no timings): a generated 10,000-student district imports, the same files again
make an empty plan, and every results CSV has one row per input row with its action."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import Engine

from roster_pipeline.roster.fixtures import load_fixture
from roster_pipeline.synthetic.generate import generate_district
from roster_pipeline_tests.importing import import_upload, roster_table

STUDENTS = 10_000
TENANT = "district-0777"


@pytest.fixture(scope="module")
def district(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("district-10k")
    generate_district(folder, STUDENTS, seed=3)
    return folder


def _read(folder: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(folder / name, dtype=str, keep_default_na=False)


def test_a_10k_district_imports_reimports_to_an_empty_plan_and_reports_every_row(
    roster_engine: Engine, district: Path, tmp_path: Path
) -> None:
    orgs = _read(district, "orgs.csv")
    schools = orgs[orgs["type"] == "school"]
    with roster_engine.begin() as connection:
        load_fixture(
            connection,
            {
                "tenant": TENANT,
                "schools": [
                    {"name": n, "school_id": i}
                    for n, i in zip(schools["name"], schools["sourcedId"], strict=True)
                ],
            },
        )

    first = import_upload(roster_engine, district, tmp_path, tenant=TENANT, commit=True)

    assert first.status == "COMMITTED", first.message
    users = _read(district, "users.csv")
    assert (
        len(roster_table(roster_engine, "students", TENANT)) == (users["role"] == "student").sum() == STUDENTS
    )
    assert len(roster_table(roster_engine, "classrooms", TENANT)) == len(_read(district, "classes.csv"))
    for name in ("users.csv", "classes.csv", "enrollments.csv", "guardians.csv", "student_attributes.csv"):
        results = pd.read_csv(
            first.run_folder / "results" / name.replace(".csv", "_results.csv"),
            dtype=str,
            keep_default_na=False,
        )
        assert len(results) == len(_read(district, name)), name
        assert results["line"].astype(int).tolist() == list(range(2, len(results) + 2)), name
        assert (results["result"] == "SUCCESS").all(), name
        assert (results["action"] == "CREATED").all(), name

    again = import_upload(roster_engine, district, tmp_path, tenant=TENANT)

    assert again.status == "DRY_RUN"
    assert again.plan is not None and again.plan.is_empty
    users_again = pd.read_csv(again.run_folder / "results" / "users_results.csv", dtype=str)
    assert len(users_again) == len(users)
    assert (users_again["action"] == "UNCHANGED").all()
