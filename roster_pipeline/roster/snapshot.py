"""Bulk snapshot reads: one query per table per tenant, straight into DataFrames.

Text columns come back as pyarrow strings with NULL read as "" (the upload's empty value), so the
plan compares like with like; ``archived`` says whether ``archived_at`` is set.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import pandas as pd
import pyarrow as pa
from sqlalchemy import Connection, Table, select

from roster_pipeline.frames import STRING
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
    schools: pd.DataFrame
    classrooms: pd.DataFrame
    students: pd.DataFrame
    staff: pd.DataFrame
    guardians: pd.DataFrame
    enrollments: pd.DataFrame
    student_guardians: pd.DataFrame
    student_attributes: pd.DataFrame

    def tables(self) -> dict[str, pd.DataFrame]:
        return {item.name: getattr(self, item.name) for item in fields(self) if item.name != "tenant"}


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


def read_snapshot(connection: Connection, tenant: Tenant) -> RosterSnapshot:
    frames = {name: read_table(connection, table, tenant.id) for name, table in SNAPSHOT_TABLES.items()}
    return RosterSnapshot(tenant=tenant, **frames)


def read_table(connection: Connection, table: Table, district_id: int) -> pd.DataFrame:
    """All of a tenant's rows of one table, ordered by id."""
    query = select(table).where(table.c.district_id == district_id).order_by(table.c.id)
    result = connection.execute(query)
    by_column = list(zip(*result.fetchall(), strict=True)) or [()] * len(table.columns)
    pairs = zip(table.columns, by_column, strict=True)
    return pd.DataFrame({column.name: _column(column, list(values)) for column, values in pairs})


def _column(column, values: list) -> pd.Series:  # type: ignore[no-untyped-def]
    python_type = column.type.python_type
    if python_type is int:
        return pd.Series(pd.array(values, dtype="Int64"))
    if python_type is str:
        return pd.Series(pa.array(values, pa.string()).fill_null(""), dtype=STRING)
    if python_type is bool:
        return pd.Series(pd.array(values, dtype="boolean"))
    return pd.Series(pd.array(values, dtype=object))
