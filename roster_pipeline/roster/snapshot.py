"""Bulk snapshot reads: one query per table per tenant, straight into DataFrames.

Text columns come back as pyarrow strings with NULL read as "" (the upload's empty value), so the
plan compares like with like; ``archived`` says whether ``archived_at`` is set.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, fields

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Connection, Table, select

from roster_pipeline.frames import STRING
from roster_pipeline.roster.arrow_reads import ArrowQuery, reads_in_same_snapshot
from roster_pipeline.roster.bulk import copy_out
from roster_pipeline.roster.database import is_postgresql
from roster_pipeline.roster.fingerprint import (
    ROW_HASH,
    database_fingerprint,
    fingerprint_of_sums,
    frames_fingerprint,
    hash_sum,
)
from roster_pipeline.roster.models import (
    Classroom,
    Enrollment,
    Guardian,
    School,
    Staff,
    Student,
    StudentAttribute,
    StudentGuardian,
)
from roster_pipeline.roster.tenants import Tenant


@dataclass
class RosterSnapshot:
    tenant: Tenant
    fingerprint: str
    schools: pd.DataFrame
    classrooms: pd.DataFrame
    students: pd.DataFrame
    staff: pd.DataFrame
    guardians: pd.DataFrame
    enrollments: pd.DataFrame
    student_guardians: pd.DataFrame
    student_attributes: pd.DataFrame

    def tables(self) -> dict[str, pd.DataFrame]:
        return {item.name: getattr(self, item.name) for item in fields(self) if item.name in SNAPSHOT_TABLES}


ARROW_TYPES = {int: pa.int64(), bool: pa.bool_()}
PANDAS_TYPES = {int: "Int64", bool: "boolean"}
SNAPSHOT_TABLES: dict[str, Table] = {
    "schools": School.__table__,
    "classrooms": Classroom.__table__,
    "students": Student.__table__,
    "staff": Staff.__table__,
    "guardians": Guardian.__table__,
    "enrollments": Enrollment.__table__,
    "student_guardians": StudentGuardian.__table__,
    "student_attributes": StudentAttribute.__table__,
}
# What validating an upload needs of the roster (the SIS IDs a delta file may name), read first.
CONTEXT_TABLES = ("schools", "classrooms", "students", "staff")
assert tuple(SNAPSHOT_TABLES)[: len(CONTEXT_TABLES)] == CONTEXT_TABLES


def read_snapshot(
    connection: Connection,
    tenant: Tenant,
    on_context: Callable[[Tenant, dict[str, pd.DataFrame]], None] | None = None,
) -> RosterSnapshot:
    """On PostgreSQL, read in a REPEATABLE READ transaction (see load_snapshot) so the frames and the
    fingerprint describe the same state. ``on_context`` gets the CONTEXT_TABLES as soon as they are
    read, before the rest."""
    postgresql = is_postgresql(connection)
    frames: dict[str, pd.DataFrame] = {}
    sums: dict[str, tuple[int, int]] = {}
    with reads_in_same_snapshot(connection) if postgresql else nullcontext() as query:
        for name, table in SNAPSHOT_TABLES.items():
            if query is not None:
                frames[name], sums[name] = _read_with_row_hashes(query, table, tenant.id)
            else:
                frames[name] = read_table(connection, table, tenant.id)
            if on_context is not None and name == CONTEXT_TABLES[-1]:
                on_context(tenant, dict(frames))
    if postgresql:
        fingerprint = fingerprint_of_sums(tenant.key, sums)
    else:
        fingerprint = frames_fingerprint(tenant.key, frames)
    return RosterSnapshot(tenant=tenant, fingerprint=fingerprint, **frames)


def current_fingerprint(connection: Connection, tenant: Tenant) -> str:
    """The tenant's fingerprint now (what a plan's must equal to be applied)."""
    if is_postgresql(connection):
        return database_fingerprint(connection, tenant.key, tenant.id, SNAPSHOT_TABLES)
    return read_snapshot(connection, tenant).fingerprint


def read_table(connection: Connection, table: Table, district_id: int) -> pd.DataFrame:
    """All of a tenant's rows of one table, ordered by id, as ``connection``'s transaction sees them
    (PostgreSQL: by ``copy_out``, so a writing transaction sees its own writes)."""
    if is_postgresql(connection):
        types = {
            column.name: ARROW_TYPES.get(column.type.python_type, pa.string()) for column in table.columns
        }
        return _frame(_by_id(copy_out(connection, _rows_query(table, district_id), types)), table)
    query = select(table).where(table.c.district_id == district_id).order_by(table.c.id)
    result = connection.execute(query)
    by_column = list(zip(*result.fetchall(), strict=True)) or [()] * len(table.columns)
    pairs = zip(table.columns, by_column, strict=True)
    return pd.DataFrame({column.name: _column(column, list(values)) for column, values in pairs})


def _rows_query(table: Table, district_id: int, *extra: str) -> str:
    columns = ", ".join(["t.*", *extra])
    return f"SELECT {columns} FROM {table.name} AS t WHERE t.district_id = {int(district_id)}"  # our names


def _by_id(arrow: pa.Table) -> pa.Table:
    """Ordered by id here, not by the server: its sort spills to disk past work_mem (0.8 of a 100k
    district's 2.3 s), and rows mostly arrive in id order already."""
    ids = arrow["id"]
    if len(ids) < 2 or pc.all(pc.greater(ids[1:], ids[:-1])).as_py():
        return arrow
    return arrow.take(pc.sort_indices(ids))


def _read_with_row_hashes(
    query: ArrowQuery, table: Table, district_id: int
) -> tuple[pd.DataFrame, tuple[int, int]]:
    """PostgreSQL: each row comes with its fingerprint hash, so the fingerprint costs no second
    pass; returns the frame and (row count, hash sum)."""
    arrow = _by_id(query(_rows_query(table, district_id, f"{ROW_HASH} AS _row_hash")))
    row_hashes = arrow["_row_hash"].to_numpy()
    return _frame(arrow, table), (len(row_hashes), hash_sum(row_hashes))


def _frame(arrow: pa.Table, table: Table) -> pd.DataFrame:
    """The rows as the snapshot's frames hold them: text as strings with NULL read as "", integers
    and booleans nullable, timestamps as the Python datetimes (or None) the driver would give."""
    frame = {}
    for column in table.columns:
        values = arrow[column.name]
        python_type = column.type.python_type
        if python_type is str:
            frame[column.name] = pd.Series(values.fill_null(""), dtype=STRING)
        elif python_type in ARROW_TYPES:
            frame[column.name] = values.to_pandas(types_mapper=pd.ArrowDtype).astype(
                PANDAS_TYPES[python_type]
            )
        else:
            if pa.types.is_timestamp(values.type):
                moments = values.to_pandas()
            else:  # timestamps as text (COPY's CSV)
                moments = pd.to_datetime(values.to_pandas(), utc=True, format="ISO8601")
            frame[column.name] = pd.Series(moments.dt.to_pydatetime(), dtype=object).where(
                moments.notna(), None
            )
    return pd.DataFrame(frame)


def _column(column, values: list) -> pd.Series:  # type: ignore[no-untyped-def]
    python_type = column.type.python_type
    if python_type is int:
        return pd.Series(pd.array(values, dtype="Int64"))
    if python_type is str:
        return pd.Series(pa.array(values, pa.string()).fill_null(""), dtype=STRING)
    if python_type is bool:
        return pd.Series(pd.array(values, dtype="boolean"))
    return pd.Series(pd.array(values, dtype=object))
