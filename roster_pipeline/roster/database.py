"""Engines from any SQLAlchemy URL, with what each backend needs for safe bulk commits."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url

SQLITE_BUSY_TIMEOUT_S = 60


def default_database_url(data_dir: Path) -> str:
    return f"sqlite:///{(data_dir / 'roster.db').as_posix()}"


def make_engine(url: str, **options: object) -> Engine:
    """SQLite gets foreign keys, WAL (readers never wait for a commit) and real transactions: the
    driver's own implicit BEGIN is turned off and SQLAlchemy's BEGIN emitted as is."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, **options)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S}, **options)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
        dbapi_connection.isolation_level = None  # SQLAlchemy emits BEGIN itself, below
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection) -> None:  # type: ignore[no-untyped-def]
        connection.exec_driver_sql("BEGIN")

    return engine


def is_postgresql(engine_or_connection) -> bool:  # type: ignore[no-untyped-def]
    return engine_or_connection.dialect.name == "postgresql"
