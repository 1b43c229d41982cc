"""Bulk writes (and the reads they need): one statement (or one COPY) per table and action, never one
ORM call per row.

PostgreSQL gets ``COPY ... FROM STDIN`` for inserts and a COPY into a temporary table plus one
``UPDATE ... FROM`` for updates, and ``COPY ... TO STDOUT`` read by Arrow for large reads; other
databases get executemany. Frames hold text as "" for empty, which is written as NULL.

An insert at least as large as what its table already holds (a district's first import) drops the
table's indexes, COPYs, and builds them again, all in the writing transaction: building an
index over sorted rows costs a fraction of updating it row by row (at 100k students, 700k enrollments
COPY in 2.7 s with their indexes, in 1.0 s plus 0.6 s to build them after). A unique rule broken by
the rows fails the build as it would have failed the COPY, and rolls back with the transaction. The
cost: until that transaction ends, the table is locked against everyone else's reads, which is why
only a table that is mostly the incoming rows, and that no other transaction is using at that moment,
is loaded this way.
"""

from __future__ import annotations

import io

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
from psycopg.copy import QueuedLibpqWriter
from sqlalchemy import Connection, Table, bindparam, delete, func, insert, select, update
from sqlalchemy.exc import OperationalError

from roster_pipeline.roster.database import is_postgresql

DELETE_CHUNK = 10_000
# Below this, rebuilding a table's indexes never pays for the catalogue reads.
REBUILD_INDEXES_FROM = 50_000
LOCK_NOT_AVAILABLE = "55P03"
COPY_BATCH_ROWS = 100_000


def insert_rows(connection: Connection, table: Table, rows: pd.DataFrame) -> None:
    if rows.empty:
        return
    if not is_postgresql(connection):
        connection.execute(insert(table), _records(rows))
        return
    if (
        len(rows) < REBUILD_INDEXES_FROM
        or _holds_at_least(connection, table, len(rows))
        or not _locked_at_once(connection, table)
    ):
        _copy_in(connection, table.name, rows)
        return
    rebuilt = _rebuildable_indexes(connection, table)
    for drop, _ in rebuilt:
        connection.exec_driver_sql(drop)
    _copy_in(connection, table.name, rows)
    for _, create in rebuilt:
        connection.exec_driver_sql(create)


def update_rows(connection: Connection, table: Table, rows: pd.DataFrame) -> None:
    """Set the given columns on each row identified by ``id``."""
    if rows.empty:
        return
    columns = [column for column in rows.columns if column != "id"]
    if is_postgresql(connection):
        staging = f"_staged_{table.name}"
        connection.exec_driver_sql(
            f"CREATE TEMP TABLE {staging} ON COMMIT DROP AS "
            f"SELECT id, {', '.join(_quoted(c) for c in columns)} FROM {table.name} WITH NO DATA"
        )
        _copy_in(connection, staging, rows)
        assignments = ", ".join(f"{_quoted(c)} = s.{_quoted(c)}" for c in columns)
        connection.exec_driver_sql(
            f"UPDATE {table.name} AS t SET {assignments} FROM {staging} AS s WHERE t.id = s.id"
        )
        connection.exec_driver_sql(f"DROP TABLE {staging}")
        return
    statement = (
        update(table)
        .where(table.c.id == bindparam("_id"))
        .values({column: bindparam(column) for column in columns})
    )
    connection.execute(statement, _records(rows.rename(columns={"id": "_id"})))


def delete_rows(connection: Connection, table: Table, ids: pd.Series) -> None:
    values = ids.dropna().astype("int64").tolist()
    for start in range(0, len(values), DELETE_CHUNK):
        connection.execute(delete(table).where(table.c.id.in_(values[start : start + DELETE_CHUNK])))


def delete_id_runs(connection: Connection, table: Table, district_id: int, runs: list[list[int]]) -> None:
    """Delete the tenant's rows whose ids fall in the [first, last] runs: one statement per run."""
    for first, last in runs:
        connection.execute(
            delete(table).where(table.c.district_id == district_id, table.c.id.between(first, last))
        )


def highest_id(connection: Connection, table: Table) -> int:
    """The table's highest id (0 when empty): rows inserted afterwards lie above it."""
    return connection.execute(select(func.coalesce(func.max(table.c.id), 0))).scalar_one()


def _holds_at_least(connection: Connection, table: Table, count: int) -> bool:
    """Whether ``table`` has ``count`` rows or more: a scan that stops there, cheaper than the insert
    it decides about (statistics could be stale right after a large import)."""
    query = select(func.count()).select_from(select(table.c.id).limit(count).subquery())
    return connection.execute(query).scalar_one() >= count


def _locked_at_once(connection: Connection, table: Table) -> bool:
    """Lock ``table`` against every other transaction if no other holds it now (the lock the index
    drop takes anyway). Never waiting for it is what keeps the rebuild from deadlocking with another
    tenant's commit that read the table first and writes a table this one holds."""
    try:
        with connection.begin_nested():
            connection.exec_driver_sql(f"LOCK TABLE {table.name} IN ACCESS EXCLUSIVE MODE NOWAIT")
    except OperationalError as error:
        if getattr(error.orig, "sqlstate", None) != LOCK_NOT_AVAILABLE:
            raise
        return False
    return True


def _rebuildable_indexes(connection: Connection, table: Table) -> list[tuple[str, str]]:
    """Each index no foreign key relies on as (statement dropping it, statement making it again),
    read from the catalogue so the rebuilt index is exactly the one dropped; a primary key or
    unique constraint is dropped and added as a constraint."""
    rows = connection.exec_driver_sql(
        "SELECT index_class.relname, pg_get_indexdef(i.indexrelid), constraint_.conname, "
        "pg_get_constraintdef(constraint_.oid) "
        "FROM pg_index AS i JOIN pg_class AS index_class ON index_class.oid = i.indexrelid "
        "LEFT JOIN pg_constraint AS constraint_ ON constraint_.conindid = i.indexrelid "
        "AND constraint_.conrelid = i.indrelid "
        "WHERE i.indrelid = %(table)s::regclass AND NOT EXISTS ("
        "SELECT 1 FROM pg_constraint AS foreign_key WHERE foreign_key.contype = 'f' "
        "AND foreign_key.conindid = i.indexrelid) ORDER BY 1",
        {"table": table.name},
    ).all()
    statements = []
    for index_name, index_definition, constraint_name, constraint_definition in rows:
        if constraint_name is None:
            statements.append((f'DROP INDEX "{index_name}"', index_definition))
        else:
            alter = f"ALTER TABLE {table.name} "
            statements.append(
                (
                    alter + f'DROP CONSTRAINT "{constraint_name}"',
                    alter + f'ADD CONSTRAINT "{constraint_name}" {constraint_definition}',
                )
            )
    return statements


def _records(rows: pd.DataFrame) -> list[dict]:
    """Rows as dicts with NULL for "" and missing values (the form DBAPI executemany takes)."""
    cleaned = rows.astype(object)
    for column in rows.columns:
        empty = rows[column].isna()
        if pd.api.types.is_string_dtype(rows[column].dtype):
            empty |= (rows[column] == "").fillna(False).astype(bool)
        cleaned[column] = cleaned[column].where(~empty, None)
    return cleaned.to_dict(orient="records")


def _copy_in(connection: Connection, table_name: str, rows: pd.DataFrame) -> None:
    """CSV written by Arrow, a batch at a time, sent by psycopg's writer thread while Arrow writes the
    next (the server parses one batch while the next is made). Missing values are written as empty
    unquoted fields, which COPY reads as NULL, and ``FORCE_NULL`` makes the quoted empty strings of
    text columns NULL too."""
    table = pa.Table.from_pandas(rows, preserve_index=False)
    columns, text = [], []
    for name, column in zip(table.column_names, table.columns, strict=True):
        if pa.types.is_timestamp(column.type) or pa.types.is_date(column.type):
            column = pc.cast(column, pa.string())
        if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
            text.append(_quoted(name))
        columns.append(column)
    table = pa.table(columns, names=table.column_names)
    names = ", ".join(_quoted(column) for column in rows.columns)
    force_null = f", FORCE_NULL ({', '.join(text)})" if text else ""
    options = pacsv.WriteOptions(include_header=False, quoting_style="needed")
    cursor = connection.connection.driver_connection.cursor()
    sql = f"COPY {table_name} ({names}) FROM STDIN WITH (FORMAT csv{force_null})"
    with cursor.copy(sql, writer=QueuedLibpqWriter(cursor)) as copy:
        for batch in table.to_batches(max_chunksize=COPY_BATCH_ROWS):
            buffer = io.BytesIO()
            pacsv.write_csv(batch, buffer, options)
            copy.write(buffer.getvalue())


def copy_out(connection: Connection, query: str, column_types: dict[str, pa.DataType]) -> pa.Table:
    """PostgreSQL: ``COPY (query) TO STDOUT`` as CSV, parsed by Arrow (a third of the time of rows
    through the driver). An unquoted empty field is NULL; a quoted one is an empty string."""
    buffer = io.BytesIO()
    cursor = connection.connection.driver_connection.cursor()
    with cursor.copy(f"COPY ({query}) TO STDOUT WITH (FORMAT csv, HEADER true)") as copy:
        for chunk in copy:
            buffer.write(chunk)
    options = pacsv.ConvertOptions(
        column_types=column_types, strings_can_be_null=True, quoted_strings_can_be_null=False
    )
    return pacsv.read_csv(pa.BufferReader(buffer.getvalue()), convert_options=options)


def _quoted(column: str) -> str:
    return f'"{column}"'
