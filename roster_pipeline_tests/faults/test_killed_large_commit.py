"""A large first commit killed with SIGKILL midway, then the same import run again: nothing of the killed
commit remains, the re-run commits every row of the upload once, and no SIS ID is duplicated.

Both imports are the real command (``roster-pipeline import --commit``) in child processes. PostgreSQL:
a generated 100k-student district, killed while it COPYs the enrollments (the classrooms, students, staff
and guardians already written in the open transaction); the commit alone takes about 25 s on an idle
machine. SQLite: 10k students (a 100k SQLite commit is not cheap), killed once the commit transaction
has held the database's write lock for a moment.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pytest
from sqlalchemy import Engine, func, select

from roster_pipeline.apply.change_log import CHANGE_LOG, changes_logged
from roster_pipeline.apply.runs import COMMITTED, DRY_RUN, list_runs
from roster_pipeline.import_run import COMMIT_STARTED
from roster_pipeline.roster.fixtures import load_fixture
from roster_pipeline.roster.snapshot import SNAPSHOT_TABLES
from roster_pipeline.roster.tenants import find_tenant
from roster_pipeline_tests.conftest import POSTGRES_URL
from roster_pipeline_tests.faults.commands import child_env, import_command
from roster_pipeline_tests.faults.database import backend_gone, duplicate_sis_ids, wait_for_backend
from roster_pipeline_tests.importing import roster_state

TENANT = "district-001"  # the generator's district
SEED = 7
STUDENTS = {"postgresql": 100_000, "sqlite": 10_000}


def generated_upload(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, n: int
) -> Path:
    """The synthetic district, made once into pytest's cache (or this session's tmp) by the generator's
    own command, in its own process."""
    cache = getattr(request.config, "cache", None)
    name = f"synthetic-district-{n}-seed{SEED}"
    folder = cache.mkdir(name) if cache is not None else tmp_path_factory.mktemp(name)
    if not (folder / "manifest.csv").exists():
        generate = [sys.executable, "-m", "roster_pipeline.synthetic.generate", str(folder)]
        subprocess.run(
            [*generate, "--students", str(n), "--seed", str(SEED)], check=True, capture_output=True
        )
    return folder


def expected_rows(upload: Path) -> dict[str, int]:
    """What a first import of the upload must leave in each roster table."""

    def read(name: str, columns: list[str]):  # type: ignore[no-untyped-def]
        options = pacsv.ConvertOptions(include_columns=columns)
        return pacsv.read_csv(upload / name, convert_options=options)

    roles = read("users.csv", ["role"])["role"]
    guardians = read("guardians.csv", ["guardianSourcedId"])["guardianSourcedId"]
    students = pc.sum(pc.equal(roles, "student")).as_py()
    return {
        "classrooms": read("classes.csv", ["sourcedId"]).num_rows,
        "students": students,
        "staff": len(roles) - students,
        "guardians": len(pc.unique(guardians)),
        "enrollments": read("enrollments.csv", ["sourcedId"]).num_rows,
        "student_guardians": len(guardians),
        "student_attributes": read("student_attributes.csv", ["attribute"]).num_rows,
    }


def set_up_district(engine: Engine, upload: Path) -> None:
    """The tenant and the upload's schools, nothing else (as the benchmark does)."""
    orgs = pacsv.read_csv(upload / "orgs.csv").to_pylist()
    schools = [
        {"name": row["name"], "school_id": row["sourcedId"]} for row in orgs if row["type"] == "school"
    ]
    with engine.begin() as connection:
        load_fixture(connection, {"tenant": TENANT, "name": "Riverbend", "schools": schools})


def table_counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as connection:
        district_id = find_tenant(connection, TENANT).id
        return {
            name: connection.execute(
                select(func.count()).select_from(table).where(table.c.district_id == district_id)
            ).scalar_one()
            for name, table in SNAPSHOT_TABLES.items()
            if name != "schools"
        }


@pytest.mark.parametrize(
    "roster_engine",
    [
        pytest.param("postgresql", marks=pytest.mark.skipif(not POSTGRES_URL, reason="needs PostgreSQL")),
        "sqlite",
    ],
    indirect=True,
)
def test_a_large_commit_killed_midway_leaves_nothing_and_the_rerun_commits_every_row_once(
    roster_engine: Engine,
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    tmp_path: Path,
) -> None:
    backend = roster_engine.dialect.name
    started = time.monotonic()
    upload = generated_upload(request, tmp_path_factory, STUDENTS[backend])
    expected = expected_rows(upload)
    set_up_district(roster_engine, upload)
    before = roster_state(roster_engine, TENANT)
    data_dir = tmp_path / "data"
    command = import_command(roster_engine, upload, TENANT, data_dir, application_name="killed-commit")

    child = subprocess.Popen(command, env=child_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        killed_at = _kill_mid_commit(roster_engine, child)
    finally:
        if child.poll() is None:
            child.kill()
        child.wait(timeout=60)
    assert child.returncode == -signal.SIGKILL, child.stderr.read() if child.stderr else ""
    killed_after = time.monotonic() - started

    roster_engine.dispose()
    assert roster_state(roster_engine, TENANT) == before
    with roster_engine.connect() as connection:
        runs = list_runs(connection, TENANT)
        killed_run = runs["id"].item()
        # Still the dry run it was recorded as when its commit started, and saying so.
        assert (runs["status"].item(), runs["message"].item()) == (DRY_RUN, COMMIT_STARTED)
        logged = select(func.count()).select_from(CHANGE_LOG).where(CHANGE_LOG.c.run_id == killed_run)
        assert connection.execute(logged).scalar_one() == 0
    if backend == "sqlite":
        with sqlite3.connect(roster_engine.url.database) as connection:
            assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)

    rerun = subprocess.run(command, env=child_env(), capture_output=True, text=True, timeout=600, check=False)
    assert rerun.returncode == 0, rerun.stderr
    outcome = json.loads(rerun.stdout)
    assert outcome["status"] == COMMITTED, outcome["message"]

    assert table_counts(roster_engine) == expected
    with roster_engine.connect() as connection:
        district_id = find_tenant(connection, TENANT).id
        assert set(duplicate_sis_ids(connection, district_id).values()) == {0}
        assert changes_logged(connection, outcome["run_id"]) == sum(expected.values())
    print(
        f"\n{backend}: {STUDENTS[backend]:,} students, killed {killed_at} after {killed_after:.1f} s; "
        f"re-run committed {sum(expected.values()):,} rows; total {time.monotonic() - started:.1f} s"
    )


def _kill_mid_commit(engine: Engine, child: subprocess.Popen) -> str:
    """SIGKILL the child in the middle of its commit; returns where."""
    if engine.dialect.name == "postgresql":
        pid = wait_for_backend(
            engine,
            "application_name = 'killed-commit' AND state = 'active' AND query LIKE 'COPY enrollments %'",
            timeout_s=300,
        )
        os.kill(child.pid, signal.SIGKILL)
        backend_gone(engine, pid)
        return "during COPY enrollments"
    # SQLite: the commit's transaction holds the write lock from its first statement to its end; the
    # run records before it hold it for milliseconds. Two probes 0.3 s apart that both find it held.
    path = engine.url.database
    deadline = time.monotonic() + 300
    held = 0
    while time.monotonic() < deadline and child.poll() is None:
        held = held + 1 if _write_lock_held(path) else 0
        if held == 2:
            os.kill(child.pid, signal.SIGKILL)
            return "with the commit transaction open"
        time.sleep(0.3 if held else 0.05)
    raise AssertionError("the child never held the write lock for long")


def _write_lock_held(path: str) -> bool:
    connection = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        connection.execute("BEGIN IMMEDIATE")
        connection.execute("ROLLBACK")
        return False
    except sqlite3.OperationalError as error:
        if "locked" not in str(error) and "busy" not in str(error):
            raise
        return True
    finally:
        connection.close()
