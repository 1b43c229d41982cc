"""PostgreSQL: large reads by ADBC's libpq driver, which parses the server's binary COPY into Arrow in
C with the GIL released.

psycopg's ``COPY ... TO STDOUT`` hands Python one message per row: at 100k students (1.5M roster
rows) the snapshot's thread held the GIL for seconds while the upload was validated on the others.
The reads run on a second connection that imports the first one's transaction snapshot (as
pg_dump's parallel workers do), so they see exactly the state the caller's transaction sees.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager

import adbc_driver_postgresql.dbapi as adbc
import pyarrow as pa
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError

ArrowQuery = Callable[[str], pa.Table]
# How the reading connection shows in pg_stat_activity.
APPLICATION_NAME = "roster_pipeline snapshot"


@contextmanager
def reads_in_same_snapshot(connection: Connection) -> Iterator[ArrowQuery]:
    """Yields ``query(sql) -> pa.Table``, run on the server ``connection`` reached, in the snapshot
    of its transaction: for a read-only REPEATABLE READ or SERIALIZABLE transaction, exactly the
    state its own queries see (not its own writes, if it made any). The driver's errors are raised
    as SQLAlchemy's classes for them (OperationalError, ProgrammingError, ...)."""
    snapshot_id = connection.exec_driver_sql("SELECT pg_export_snapshot()").scalar_one()
    with _as_sqlalchemy_error(None):
        reader = adbc.connect(_conninfo(connection), autocommit=True)
    with closing(reader), closing(reader.cursor()) as cursor:
        for statement in (
            "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
            f"SET TRANSACTION SNAPSHOT {_quoted(snapshot_id)}",
        ):
            with _as_sqlalchemy_error(statement):
                cursor.execute(statement)

        def query(sql: str) -> pa.Table:
            with _as_sqlalchemy_error(sql):
                cursor.execute(sql)
                return cursor.fetch_arrow_table()

        yield query  # closing the connection ends its read-only transaction


@contextmanager
def _as_sqlalchemy_error(statement: str | None) -> Iterator[None]:
    try:
        yield
    except adbc.Error as error:
        raise DBAPIError.instance(statement, None, error, adbc.Error) from error


def _conninfo(connection: Connection) -> str:
    """The caller's connection parameters as libpq takes them: its DSN (database, user, options such
    as a search_path; never the password), with the host, port and address it actually reached
    (psycopg's libpq found a URL without a host in /var/run/postgresql where ADBC's looks in /tmp),
    the password added back when it has one."""
    info = connection.connection.driver_connection.info
    parameters = conninfo_to_dict(info.dsn)
    parameters.pop("hostaddr", None)
    parameters |= {"host": info.host, "port": str(info.port), "application_name": APPLICATION_NAME}
    if info.hostaddr:
        parameters["hostaddr"] = info.hostaddr
    if info.password:
        parameters["password"] = info.password
    return make_conninfo("", **parameters)


def _quoted(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"
