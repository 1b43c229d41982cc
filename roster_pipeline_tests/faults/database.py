"""Helpers for the database fault and concurrency tests: stopping a commit at a known point with a real
table lock (no patching), finding the backend it runs on, and comparing rosters by content."""

from __future__ import annotations

import sqlite3
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import Connection, Engine, create_engine, text

from roster_pipeline.apply.lock import tenant_lock_id
from roster_pipeline.roster.database import make_engine
from roster_pipeline.roster.migrate import upgrade
from roster_pipeline.roster.snapshot import SNAPSHOT_TABLES, read_table
from roster_pipeline.roster.tenants import find_tenant
from roster_pipeline_tests.conftest import POSTGRES_URL

# Run a test on PostgreSQL only (skipped when ROSTER_TEST_POSTGRES_URL is not set).
on_postgresql = pytest.mark.parametrize(
    "roster_engine",
    [pytest.param("postgresql", marks=pytest.mark.skipif(not POSTGRES_URL, reason="needs PostgreSQL"))],
    indirect=True,
)
RECORD_TABLES = ("classrooms", "students", "staff", "guardians")


@contextmanager
def table_locked(engine: Engine, table: str, mode: str = "SHARE") -> Iterator[int]:
    """PostgreSQL: hold a lock on ``table`` (in the engine's schema) until the block ends; yields this
    backend's pid. SHARE: reads go on (snapshots, fingerprints), a write waits, so a commit that
    reaches the table waits there with everything before it written. ACCESS EXCLUSIVE: reads wait too."""
    with engine.connect() as connection:
        transaction = connection.begin()
        connection.exec_driver_sql(f"LOCK TABLE {table} IN {mode} MODE")
        try:
            yield connection.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()
        finally:
            transaction.rollback()


@contextmanager
def refused_writes(engine: Engine, table: str) -> Iterator[None]:
    """Every insert into ``table`` fails with a database error while the block runs."""
    name = f"refuse_{table}"
    if engine.dialect.name == "postgresql":
        create = [
            f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'injected failure: the database refused the write'; END $$",
            f"CREATE TRIGGER {name} BEFORE INSERT ON {table} FOR EACH STATEMENT EXECUTE FUNCTION {name}()",
        ]
        drop = [f"DROP TRIGGER {name} ON {table}", f"DROP FUNCTION {name}()"]
    else:
        create = [
            f"CREATE TRIGGER {name} BEFORE INSERT ON {table} "
            "BEGIN SELECT RAISE(ABORT, 'injected failure: the database refused the write'); END"
        ]
        drop = [f"DROP TRIGGER {name}"]
    with engine.begin() as connection:
        for statement in create:
            connection.exec_driver_sql(statement)
    try:
        yield
    finally:
        with engine.begin() as connection:
            for statement in drop:
                connection.exec_driver_sql(statement)


@contextmanager
def commits_held(engine: Engine, tenants: list[str]) -> Iterator[None]:
    """Every commit for these tenants waits until the block ends, as behind a slow commit: PostgreSQL,
    their advisory locks (what ``apply_plan`` takes first); SQLite, the database's write lock (the
    busy timeout is then what keeps a writer waiting instead of failing)."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection, connection.begin():
            for tenant in tenants:
                lock = text("SELECT pg_advisory_xact_lock(:key)")
                connection.execute(lock, {"key": tenant_lock_id(tenant)})
            yield
        return
    holder = sqlite3.connect(str(engine.url.database), timeout=0, isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")
        yield
        holder.execute("ROLLBACK")
    finally:
        holder.close()


def wait_for_files(folder: Path, pattern: str, count: int, timeout_s: float = 300) -> list[Path]:
    """Wait until ``count`` files match ``pattern`` under ``folder`` (e.g. each run's saved plan)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        found = sorted(folder.glob(pattern))
        if len(found) >= count:
            return found
        time.sleep(0.05)
    raise AssertionError(f"{count} files {pattern} under {folder} not there within {timeout_s} s")


@contextmanager
def fresh_roster_like(engine: Engine, folder: Path) -> Iterator[Engine]:
    """Another empty, migrated roster on the same backend (to import into for comparison)."""
    if engine.dialect.name != "postgresql":
        other = make_engine(f"sqlite:///{folder / f'reference-{uuid.uuid4().hex[:8]}.db'}")
        upgrade(other)
        try:
            yield other
        finally:
            other.dispose()
        return
    schema = f"test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(engine.url)
    with admin.begin() as connection:
        connection.exec_driver_sql(f"CREATE SCHEMA {schema}")
    other = make_engine(
        engine.url.render_as_string(hide_password=False), connect_args={"options": f"-csearch_path={schema}"}
    )
    try:
        upgrade(other)
        yield other
    finally:
        other.dispose()
        with admin.begin() as connection:
            connection.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
        admin.dispose()


def wait_for_backend(
    engine: Engine, where: str, parameters: dict[str, object] | None = None, timeout_s: float = 120
) -> int:
    """The pid of the first backend in ``pg_stat_activity`` matching the SQL condition ``where``."""
    deadline = time.monotonic() + timeout_s
    query = text(f"SELECT pid FROM pg_stat_activity WHERE {where} LIMIT 1")
    with engine.connect() as connection:
        while time.monotonic() < deadline:
            pid = connection.execute(query, parameters or {}).scalar()
            if pid is not None:
                return int(pid)
            connection.rollback()
            time.sleep(0.05)
    raise AssertionError(f"no backend matched {where!r} within {timeout_s} s")


def terminate_backend(engine: Engine, pid: int) -> None:
    with engine.connect() as connection:
        assert connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar()


def backend_gone(engine: Engine, pid: int, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    with engine.connect() as connection:
        while time.monotonic() < deadline:
            query = text("SELECT count(*) FROM pg_stat_activity WHERE pid = :pid")
            if connection.execute(query, {"pid": pid}).scalar() == 0:
                return
            connection.rollback()
            time.sleep(0.05)
    raise AssertionError(f"backend {pid} still there after {timeout_s} s")


def search_path_option(engine: Engine) -> str | None:
    """The libpq ``options`` that put a child process in the test's schema (None on SQLite)."""
    if engine.dialect.name != "postgresql":
        return None
    with engine.connect() as connection:
        return f"-csearch_path={connection.exec_driver_sql('show search_path').scalar()}"


def duplicate_sis_ids(connection: Connection, district_id: int) -> dict[str, int]:
    """Per record table, how many SIS IDs appear on more than one row of the tenant."""
    found = {}
    for name in RECORD_TABLES:
        query = text(
            f"SELECT count(*) FROM (SELECT sis_id FROM {name} WHERE district_id = :d AND sis_id IS NOT NULL "
            "GROUP BY sis_id HAVING count(*) > 1) AS repeated"
        )
        found[name] = connection.execute(query, {"d": district_id}).scalar_one()
    return found


def roster_content(engine: Engine, tenant: str) -> dict[str, list[tuple]]:
    """The tenant's roster as sorted rows of values, database ids replaced by the SIS IDs (or School
    IDs) they point at and archive times by a flag, so two databases that reached the same roster by
    different paths (ids from sequences with gaps, commits at other times) compare equal."""
    with engine.connect() as connection:
        district_id = find_tenant(connection, tenant).id
        tables = {name: read_table(connection, table, district_id) for name, table in SNAPSHOT_TABLES.items()}
    keys = {
        "school_pk": _key_of(tables["schools"], "school_id"),
        "classroom_id": _key_of(tables["classrooms"], "sis_id"),
        "student_id": _key_of(tables["students"], "sis_id"),
        "staff_id": _key_of(tables["staff"], "sis_id"),
        "guardian_id": _key_of(tables["guardians"], "sis_id"),
    }
    content = {}
    for name, frame in tables.items():
        frame = frame.drop(columns=["id", "district_id"]).copy()
        for column, key in keys.items():
            if column in frame:
                frame[column] = frame[column].map(key)
        if "archived_at" in frame:
            frame["archived_at"] = frame["archived_at"].notna()
        rows = frame.astype("string").fillna("").itertuples(index=False, name=None)
        content[name] = sorted(rows)
    return content


def _key_of(frame: pd.DataFrame, column: str) -> dict[int, str]:
    return dict(zip(frame["id"].astype("int64"), frame[column].astype("string").fillna(""), strict=True))
