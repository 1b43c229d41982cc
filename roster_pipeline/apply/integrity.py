"""Rows point at rows of their own tenant: what foreign keys would guarantee, checked once per
transaction that writes the roster instead of by a trigger per row (see ``roster/models.py`` for why
the tables an import writes carry no foreign keys). A commit checks the ids it is about to write
against the tenant's ids, one hash lookup per column; a rollback, which deletes rows, checks what it
leaves with one anti-join per reference."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Connection, Table, exists, func, select

from roster_pipeline.matching.entities import ENTITIES
from roster_pipeline.roster.database import is_postgresql
from roster_pipeline.roster.models import School

# (table, its column, the table that column points at), each once: links to their records...
LINK_PARENTS: tuple[tuple[Table, str, Table], ...] = tuple(
    dict.fromkeys(
        (spec.table, parent.column, ENTITIES[parent.entity].table)
        for spec in ENTITIES.values()
        if not spec.is_record
        for parent in spec.parents
    )
)
# ...and records to their school (a few hundred thousand rows at most: always checked whole).
RECORD_SCHOOLS: tuple[tuple[Table, str, Table], ...] = tuple(
    (spec.table, "school_pk", School.__table__) for spec in ENTITIES.values() if "school_pk" in spec.fields
)


def dangling_references(connection: Connection, district_id: int) -> dict[str, int]:
    """How many of the tenant's rows name a row that is not the same tenant's, per ``table.column``
    (empty when every reference holds): what a rollback, which deletes records, checks after it."""
    found = {}
    postgresql = is_postgresql(connection)
    if postgresql:
        # Right after a bulk write the planner has no statistics for the new rows and may pick a nested
        # loop over all of them (3 s for 28k staff enrollments at 100k students); a hash anti-join suits
        # every size here.
        connection.exec_driver_sql("SET LOCAL enable_nestloop = off")
    for table, column, parent in (*RECORD_SCHOOLS, *LINK_PARENTS):
        query = (
            select(func.count())
            .select_from(table)
            .where(
                table.c.district_id == district_id,
                table.c[column].is_not(None),
                ~exists().where(parent.c.id == table.c[column], parent.c.district_id == district_id),
            )
        )
        count = connection.execute(query).scalar_one()
        if count:
            found[f"{table.name}.{column}"] = count
    if postgresql:
        connection.exec_driver_sql("RESET enable_nestloop")
    return found


def ids_outside(written: pd.Series, owned: pa.Array) -> int:
    """How many of the ids about to be written (``written``; <NA> is no reference) are not among
    ``owned``, the ids of the tenant's rows: a commit's check before it writes, one hash lookup per
    column where a foreign key would check each row."""
    present = pa.array(written.dropna().to_numpy(dtype="int64"))
    return len(present) - pc.sum(pc.is_in(present, value_set=owned)).as_py() if len(present) else 0


def describe(dangling: dict[str, int]) -> str:
    return ", ".join(f"{count} {name}" for name, count in dangling.items())
